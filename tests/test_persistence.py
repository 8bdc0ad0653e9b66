"""lshlab.persistence: one-file model format — round trip, atomic replacement, every refusal names the file."""

import collections
import json
import os

import numpy as np
import pytest
import torch

from lshlab import persistence as P
from lshlab._validation import check_positive_float, check_positive_int
from lshlab.persistence import ModelFileError

SCHEMA = {
    "size": check_positive_int,
    "scale": check_positive_float,
    "history": P.check_number_list,
    "params": P.check_json_object(["a", "b"]),
}
META = {"size": 3, "scale": 0.5, "history": [1.0, float("nan")], "params": {"a": 1, "b": [2, 3]}}


def _state():
    return collections.OrderedDict(w=torch.arange(12, dtype=torch.float32).reshape(3, 4),
                                   n=torch.tensor(7), b=torch.zeros(2, dtype=torch.float64))


@pytest.fixture
def saved(tmp_path):
    return P.save_model(tmp_path / "m.pt", "Thing", META, _state())


def test_round_trip(saved):
    meta, state = P.load_model(saved, "Thing", SCHEMA)
    assert meta["size"] == 3 and meta["scale"] == 0.5 and meta["params"] == {"a": 1, "b": [2, 3]}
    assert meta["history"][0] == 1.0 and np.isnan(meta["history"][1])  # a diverged loss is kept as it was
    ref = _state()
    assert list(state) == list(ref)
    for k in ref:
        assert state[k].dtype == ref[k].dtype and torch.equal(state[k], ref[k])
    payload = torch.load(saved, weights_only=True)
    assert (payload["format"], payload["format_version"], payload["class"]) == ("lshlab-model", 2, "Thing")
    assert payload["sha256"] == P.content_digest(payload["metadata"], payload["state_dict"])


def test_save_replaces_and_leaves_one_file(saved):
    P.save_model(saved, "Thing", {**META, "size": 4}, _state())
    assert [p.name for p in saved.parent.iterdir()] == ["m.pt"]
    assert P.load_model(saved, "Thing", SCHEMA)[0]["size"] == 4


def test_atomic_write_failure_keeps_previous_file_and_removes_temp(tmp_path):
    path = P.atomic_write(tmp_path / "f.bin", lambda fh: fh.write(b"old content"))

    def fail(fh):
        fh.write(b"half of the new")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        P.atomic_write(path, fail)
    assert path.read_bytes() == b"old content" and [p.name for p in tmp_path.iterdir()] == ["f.bin"]
    with pytest.raises(KeyboardInterrupt):  # an interrupt too
        P.atomic_write(path, lambda fh: (_ for _ in ()).throw(KeyboardInterrupt()))
    assert path.read_bytes() == b"old content" and [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_atomic_write_respects_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = P.atomic_write(tmp_path / "f.bin", lambda fh: fh.write(b"x"))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_content_digest_sees_every_change():
    base = P.content_digest("{}", _state())
    changed = [
        P.content_digest('{"a": 1}', _state()),
        P.content_digest("{}", {**_state(), "w": _state()["w"].reshape(4, 3)}),  # same bytes, other shape
        P.content_digest("{}", {**_state(), "b": torch.zeros(4, dtype=torch.float32)}),  # same bytes, other dtype
        P.content_digest("{}", {("x" if k == "n" else k): v for k, v in _state().items()}),  # renamed
        P.content_digest("{}", {**_state(), "n": torch.tensor(8)}),
    ]
    assert len({base, *changed}) == 6
    assert P.content_digest("{}", dict(reversed(list(_state().items())))) == base  # key order irrelevant


def _flip_tensor_byte(path):
    data = bytearray(path.read_bytes())
    i = data.find(np.arange(12, dtype=np.float32).tobytes()[20:28])
    assert i > 0
    data[i] ^= 0x01
    path.write_bytes(bytes(data))


def _write_payload(path, **changes):
    payload = torch.load(path, weights_only=True)
    payload.update(changes)
    torch.save(payload, path)


class _NotAllowed:
    pass


DAMAGE = [
    ("truncated", lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "cannot be read"),
    ("empty", lambda p: p.write_bytes(b""), "cannot be read"),
    ("text", lambda p: p.write_text("not a model"), "cannot be read"),
    ("bit flip in a weight", _flip_tensor_byte, "does not match its SHA-256 checksum"),
    ("metadata edited", lambda p: _write_payload(p, metadata=json.dumps({**META, "size": 5})), "checksum"),
    ("bare state dict (version 1)", lambda p: torch.save(_state(), p), "two-file format"),
    ("other format", lambda p: _write_payload(p, format="other"), "not an 'lshlab-model' file"),
    ("a list", lambda p: torch.save([1, 2], p), "not an 'lshlab-model' file"),
    ("version 1", lambda p: _write_payload(p, format_version=1), r"format version 1; .*version 2 only"),
    ("newer version", lambda p: _write_payload(p, format_version=3), r"newer lshlab"),
    ("extra key", lambda p: _write_payload(p, extra=1), r"fields are"),
    ("other class", lambda p: _write_payload(p, **{"class": "Other"}), r"holds a 'Other', not a Thing"),
    ("metadata not text", lambda p: _write_payload(p, metadata={"size": 3}), r"metadata must be JSON text"),
    ("state not tensors", lambda p: _write_payload(p, state_dict={"w": 3}), r"state_dict must map names"),
    ("object outside weights_only", lambda p: torch.save({"format": "lshlab-model", "x": _NotAllowed()}, p),
     "cannot be read"),
]


@pytest.mark.parametrize("damage, match", [pytest.param(d, m, id=i) for i, d, m in DAMAGE])
def test_unusable_files_are_refused_naming_the_file(saved, damage, match):
    damage(saved)
    with pytest.raises(ModelFileError, match=match) as info:
        P.load_model(saved, "Thing", SCHEMA)
    assert str(saved) in str(info.value) and isinstance(info.value, ValueError)


def _resigned(path, meta_text):
    state = _state()
    _write_payload(path, metadata=meta_text, sha256=P.content_digest(meta_text, state))


@pytest.mark.parametrize("meta_text, match", [
    ("[1, 2]", r"must be a JSON object, got a JSON list"),
    ("not json", r"metadata is not valid JSON"),
    (json.dumps({k: v for k, v in META.items() if k != "scale"}), r"missing \['scale'\]"),
    (json.dumps({**META, "zz": 1}), r"unknown \['zz'\]"),
    (json.dumps({**META, "size": "x"}), r"field 'size': size must be an integer"),
    (json.dumps({**META, "size": True}), r"field 'size': size must be an integer"),
    (json.dumps({**META, "scale": 0}), r"field 'scale': scale must be a finite number > 0"),
    (json.dumps({**META, "history": [1, "x"]}), r"field 'history': history\[1\] must be a number"),
    (json.dumps({**META, "history": 1.0}), r"field 'history': history must be a list"),
    (json.dumps({**META, "params": {"a": 1}}), r"field 'params'.*missing \['b'\]"),
    (json.dumps({**META, "params": [1]}), r"field 'params': params must be a JSON object"),
])
def test_metadata_is_checked_against_the_schema(saved, meta_text, match):
    _resigned(saved, meta_text)
    with pytest.raises(ModelFileError, match=match) as info:
        P.load_model(saved, "Thing", SCHEMA)
    assert str(saved) in str(info.value)


def test_missing_file_and_bad_metadata_type(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no saved Thing at .*nope\.pt"):
        P.load_model(tmp_path / "nope.pt", "Thing", SCHEMA)
    with pytest.raises(TypeError, match="metadata must be a dict"):
        P.save_model(tmp_path / "m.pt", "Thing", [1], _state())
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("value, ok", [(1, True), (2.5, True), (float("nan"), False), (float("inf"), False),
                                       (True, False), ("1", False), (None, False)])
def test_check_finite_number(value, ok):
    if ok:
        assert P.check_finite_number(value, "v") == float(value)
    else:
        with pytest.raises(ValueError, match="v must be a finite number"):
            P.check_finite_number(value, "v")
