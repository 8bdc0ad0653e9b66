"""lshlab.data downloads against a loopback HTTP server that injects faults.

The server (``http.server`` in a thread on 127.0.0.1, port 0) serves synthetic IDX gz files; per file it can
answer good / truncated / corrupted / wrong-checksum / dropped halfway / stalled / slow / 404.  Every fault
must end in a clear error with no file (partial or temporary) left behind; a retry after the fault is
fixed must succeed; the progress bar must print.  The server stops itself after a bounded time.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from http_fixtures import FaultServer
from idx_fixtures import TEST_IMAGES, TEST_LABELS, isolate, make_files, register, split_arrays
from lshlab import data
from lshlab.data import load_dataset

@pytest.fixture
def env(monkeypatch, tmp_path):
    paths = isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("LSHLAB_DOWNLOAD_TIMEOUT", "5")
    return paths


@pytest.fixture
def server(monkeypatch):
    files = make_files(80, 50)
    register(monkeypatch, "mnist", files)
    with FaultServer(files) as srv:
        monkeypatch.setenv("LSHLAB_DATA_URL", srv.url)
        yield srv


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_verifies_renames_and_shows_progress(env, server, capsys):
    ds = load_dataset("mnist", pool="test", download=True)
    target = env["local"] / "mnist"
    assert ds.source == str(target)
    assert _leftovers(target) == sorted([TEST_IMAGES, TEST_LABELS])  # no .part files
    np.testing.assert_array_equal(ds.y_query, split_arrays(50, 1)[1][ds.query_index])
    err = capsys.readouterr().err
    assert TEST_IMAGES in err and "100%" in err  # the tqdm bar printed to stderr
    assert sorted(server.requests) == sorted([TEST_IMAGES, TEST_LABELS])
    # a second load needs no network
    load_dataset("mnist", pool="test", download=True)
    assert len(server.requests) == 2
    # the file has ordinary permissions (not mkstemp's 0600)
    umask = os.umask(0)
    os.umask(umask)
    assert (target / TEST_IMAGES).stat().st_mode & 0o777 == 0o666 & ~umask


def test_file_url_mirror(env, monkeypatch, tmp_path):
    files = make_files(80, 50)
    register(monkeypatch, "mnist", files)
    src = tmp_path / "mirror"
    src.mkdir()
    for name in (TEST_IMAGES, TEST_LABELS):
        (src / name).write_bytes(files[name])
    monkeypatch.setenv("LSHLAB_DATA_URL", src.as_uri() + "/")
    ds = load_dataset("mnist", pool="test", download=True)
    assert ds.source == str(env["local"] / "mnist") and ds.X_train.shape == (45, 784)


@pytest.mark.parametrize(
    "mode, words",
    [
        ("truncated", ["truncated"]),
        ("corrupted", ["gzip"]),
        ("wrong", ["fails its checksum"]),
        ("drop", [("IncompleteRead", "connection closed after")]),
        ("404", ["HTTP Error 404"]),
        ("stall", ["timed out"]),
    ],
)
def test_fault_leaves_no_file_and_a_retry_succeeds(env, server, monkeypatch, mode, words):
    monkeypatch.setenv("LSHLAB_DOWNLOAD_TIMEOUT", "0.5")
    server.mode[TEST_IMAGES] = mode
    target = env["local"] / "mnist"
    with pytest.raises(FileNotFoundError) as exc:
        load_dataset("mnist", pool="test", download=True)
    msg = str(exc.value)
    for w in [*words, TEST_IMAGES, server.url, "no partial file was kept", "'digits'"]:
        assert any(alt in msg for alt in (w if isinstance(w, tuple) else (w,))), (w, msg)
    # nothing under the final name, no temporary file either (the labels may have been fetched first)
    assert TEST_IMAGES not in _leftovers(target)
    assert not [n for n in _leftovers(target) if n.endswith(".part")]
    # the fault is fixed: a retry completes with a verified file
    server.mode[TEST_IMAGES] = "good"
    ds = load_dataset("mnist", pool="test", download=True)
    assert ds.X_query.shape == (5, 784)
    assert _leftovers(target) == sorted([TEST_IMAGES, TEST_LABELS])


def test_drop_is_reported_as_a_short_read(env, server):
    server.mode[TEST_LABELS] = "drop"
    with pytest.raises(FileNotFoundError, match=r"IncompleteRead|connection closed after"):
        data.download_files("mnist", [TEST_LABELS], env["local"] / "mnist")
    assert _leftovers(env["local"] / "mnist") == []


def test_slow_server_within_the_timeout_succeeds(env, server):
    server.mode[TEST_IMAGES] = "slow"
    ds = load_dataset("mnist", pool="test", download=True)
    assert ds.X_train.shape == (45, 784)


def test_total_time_budget_bounds_a_trickling_server(env, server):
    server.mode[TEST_IMAGES] = "slow"
    start = time.monotonic()
    with pytest.raises(FileNotFoundError, match="took longer than 0.02 s"):
        data.download_files("mnist", [TEST_IMAGES], env["local"] / "mnist", max_seconds=0.02)
    assert time.monotonic() - start < 5
    assert _leftovers(env["local"] / "mnist") == []


def test_next_mirror_is_tried_after_a_bad_one(env, server, monkeypatch):
    with FaultServer({}) as empty:  # answers 404 to everything
        monkeypatch.setenv("LSHLAB_DATA_URL", f"{empty.url}, {server.url}")
        ds = load_dataset("mnist", pool="test", download=True)
        assert sorted(empty.requests) == sorted([TEST_IMAGES, TEST_LABELS])
    assert ds.source == str(env["local"] / "mnist")


def test_offline_means_no_request_and_a_clear_error(env, server):
    # isolate() set LSHLAB_OFFLINE=1; download=None respects it
    with pytest.raises(FileNotFoundError) as exc:
        load_dataset("mnist", pool="test")
    assert server.requests == []
    msg = str(exc.value)
    assert "LSHLAB_OFFLINE" in msg and "download=True" in msg and str(env["local"] / "mnist") in msg
    assert "'digits'" in msg


def test_download_goes_to_lshlab_data_dir_when_set(env, server, monkeypatch, tmp_path):
    monkeypatch.setenv("LSHLAB_DATA_DIR", str(tmp_path / "mine"))
    ds = load_dataset("mnist", pool="test", download=True)
    assert ds.source == str(tmp_path / "mine" / "mnist")
    assert not (env["local"] / "mnist").exists()


def test_only_missing_files_are_downloaded_and_a_bad_local_file_still_fails(env, server):
    target = env["local"] / "mnist"
    target.mkdir(parents=True)
    (target / TEST_LABELS).write_bytes(server.files[TEST_LABELS])
    load_dataset("mnist", pool="test", download=True)
    assert server.requests == [TEST_IMAGES]
    (target / TEST_LABELS).write_bytes(server.files[TEST_LABELS][:-3])
    with pytest.raises(data.DataIntegrityError, match="truncated"):
        load_dataset("mnist", pool="test", download=True)
    assert server.requests == [TEST_IMAGES]  # a corrupt file is not silently re-fetched
