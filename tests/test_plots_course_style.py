"""The figures of lectures 11, 12 and 14 under the course's seaborn style (``plots.set_style()``, 12-pt
"notebook" context, what the lectures use): text still inside the figure, no two texts overlapping and
no text below 9 pt.  ``test_plots`` checks every helper at matplotlib's default 10-pt fonts; larger fonts
are where long titles start to collide."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from layout import text_layout_problems  # noqa: E402
from test_plots import CASES, public_plot_names  # noqa: E402

from lshlab import plots  # noqa: E402

TOPICS = ("dsh", "overlap", "random_features")
NAMES = sorted(n for n, sub in public_plot_names().items() if sub in TOPICS)


@pytest.fixture(autouse=True)
def _course_style():
    with plt.rc_context():
        plots.set_style()
        yield
    plt.close("all")


def test_topics_have_helpers():
    assert len(NAMES) >= 10


@pytest.mark.parametrize("name", NAMES)
def test_text_fits_in_course_style(name):
    fig = CASES[name][1]()
    problems = text_layout_problems(fig)
    assert not problems, f"{name}: " + "; ".join(problems)
    small = sorted({round(t.get_fontsize(), 1) for t in fig.findobj(Text)
                    if t.get_visible() and t.get_text().strip() and t.get_fontsize() < 9})
    assert not small, f"{name} draws text below 9 pt: {small}"
