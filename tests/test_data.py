"""lshlab.data: pools, sizes, seeds, folder search, IDX integrity, cache; real-data smoke tests."""

from __future__ import annotations

import dataclasses
import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from idx_fixtures import (
    ALL_FILES, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS,
    gz, idx_payload, isolate, make_files, register, split_arrays, write_files,
)
from lshlab import data
from lshlab.data import DataCacheWarning, DataIntegrityError, folders, load_dataset, sources


@pytest.fixture
def env(monkeypatch, tmp_path):
    return isolate(monkeypatch, tmp_path)


@pytest.fixture
def synth(monkeypatch):
    """A registered synthetic MNIST (80 train / 50 test images)."""
    files = make_files(80, 50)
    register(monkeypatch, "mnist", files)
    return files


# ---------------------------------------------------------------------------------------------
# digits: always available
# ---------------------------------------------------------------------------------------------


def test_digits_official_split_is_the_documented_contiguous_split():
    from sklearn.datasets import load_digits

    ref = load_digits()
    ds = load_dataset("digits")
    assert ds.X_train.shape == (1437, 64) and ds.X_query.shape == (360, 64)
    np.testing.assert_array_equal(ds.X_train, (ref.data[:1437] / 16).astype(np.float32))
    np.testing.assert_array_equal(ds.y_query, ref.target[1437:])
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert ds.X_train.min() == 0.0 and ds.X_train.max() == 1.0
    assert ds.image_shape == (8, 8) and ds.classes == tuple("0123456789")
    assert ds.source == "sklearn.datasets.load_digits"


def test_digits_test_pool_defaults_and_disjointness():
    ds = load_dataset("digits", pool="test")
    assert (len(ds.y_query), len(ds.y_train)) == (36, 324)
    assert not set(ds.query_index) & set(ds.train_index)
    ref = load_dataset("digits")
    np.testing.assert_array_equal(ds.X_query, ref.X_query[ds.query_index])


def test_dataset_is_frozen_and_repr_is_short():
    ds = load_dataset("digits", n_train=10, n_query=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.X_train = None
    assert "X_train=(10, 64)" in repr(ds) and len(repr(ds)) < 300


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(name="cifar"), ["name", "'digits', 'mnist', 'fashion-mnist'", "cifar"]),
        (dict(name="digits", pool="train"), ["pool", "'official', 'test'", "train"]),
        (dict(name="digits", n_train=0), ["n_train", ">= 1"]),
        (dict(name="digits", n_query=-3), ["n_query", ">= 1"]),
        (dict(name="digits", n_train=2.5), ["n_train", "integer"]),
        (dict(name="digits", n_train=True), ["n_train", "integer"]),
        (dict(name="digits", n_train=1438), ["n_train=1438", "1,437", "n_train <= 1437"]),
        (dict(name="digits", n_query=361), ["n_query=361", "n_query <= 360"]),
        (dict(name="digits", pool="test", n_train=300, n_query=61), ["n_train + n_query", "<= 360"]),
        (dict(name="digits", seed=-1), ["seed", ">= 0"]),
        (dict(name="digits", download="yes"), ["download", "True or False"]),
    ],
)
def test_bad_arguments_raise_valueerror_with_allowed_values(kwargs, words):
    with pytest.raises(ValueError) as exc:
        load_dataset(**kwargs)
    for w in words:
        assert w in str(exc.value), (w, str(exc.value))


# ---------------------------------------------------------------------------------------------
# pools, sizes, seeds (synthetic MNIST)
# ---------------------------------------------------------------------------------------------


def test_official_pool_reads_train_and_test(env, synth):
    write_files(env["local"] / "mnist", synth)
    ds = load_dataset("mnist")
    tr_img, tr_lab = split_arrays(80, 0)
    te_img, te_lab = split_arrays(50, 1)
    assert ds.X_train.shape == (80, 784) and ds.X_query.shape == (50, 784)
    np.testing.assert_array_equal(ds.X_train, tr_img.reshape(80, -1).astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(ds.y_query, te_lab.astype(np.int64))
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert ds.X_train.min() == 0.0 and ds.X_train.max() == 1.0
    assert ds.image_shape == (28, 28) and ds.source == str(env["local"] / "mnist")
    assert ds.classes == tuple(str(i) for i in range(10))


def test_test_pool_is_disjoint_default_sizes_and_needs_no_train_files(env, synth):
    write_files(env["local"] / "mnist", synth, names=[TEST_IMAGES, TEST_LABELS])
    ds = load_dataset("mnist", pool="test")
    assert (len(ds.y_query), len(ds.y_train)) == (5, 45)  # one tenth are queries
    assert not set(ds.query_index) & set(ds.train_index)
    assert sorted(set(ds.query_index) | set(ds.train_index)) == list(range(50))
    # rows are the test images themselves (first pixel encodes the row number)
    np.testing.assert_array_equal(np.rint(ds.X_train[:, 0] * 255), ds.train_index % 256)


def test_subsampling_is_reproducible_nested_and_seed_dependent(env, synth):
    write_files(env["local"] / "mnist", synth, names=[TEST_IMAGES, TEST_LABELS])
    a = load_dataset("mnist", pool="test", n_train=20, n_query=10, seed=7)
    b = load_dataset("mnist", pool="test", n_train=20, n_query=10, seed=7)
    c = load_dataset("mnist", pool="test", n_train=20, n_query=10, seed=8)
    bigger = load_dataset("mnist", pool="test", n_train=35, n_query=10, seed=7)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.query_index, b.query_index)
    assert not np.array_equal(a.train_index, c.train_index)
    assert set(a.train_index) <= set(bigger.train_index)
    np.testing.assert_array_equal(a.query_index, bigger.query_index)
    assert np.all(np.diff(a.train_index) > 0)  # source order kept
    assert len(set(a.train_index)) == 20 and not set(a.train_index) & set(a.query_index)


def test_official_subsample_sizes_and_limits(env, synth):
    write_files(env["local"] / "mnist", synth)
    ds = load_dataset("mnist", n_train=30, n_query=7, seed=1)
    assert ds.X_train.shape == (30, 784) and ds.X_query.shape == (7, 784)
    assert ds.train_index.max() < 80 and ds.query_index.max() < 50
    with pytest.raises(ValueError, match="n_train=81 exceeds the 80 images"):
        load_dataset("mnist", n_train=81)
    with pytest.raises(ValueError, match="n_train \\+ n_query = 45 \\+ 6 = 51 exceeds 50"):
        load_dataset("mnist", pool="test", n_train=45, n_query=6)


# ---------------------------------------------------------------------------------------------
# integrity: each fault gives a clear error naming the file
# ---------------------------------------------------------------------------------------------


def _corrupt(files, name, how):
    raw = files[name]
    payload = gzip.decompress(raw)
    if how == "truncated_gz":
        return raw[: len(raw) // 2]
    if how == "truncated_payload":
        return gz(payload[:-100])
    if how == "padded_payload":
        return gz(payload + b"\0" * 10)
    if how == "bad_magic":
        return gz(b"\x00\x00\x08\x04" + payload[4:])
    if how == "not_gzip":
        return payload
    if how == "flipped_byte":
        return gz(payload[:-1] + bytes([payload[-1] ^ 0xFF]))
    if how == "garbage_gz":
        return raw[:20] + bytes(len(raw) - 20)
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how, words",
    [
        ("truncated_gz", ["truncated", "bytes", "the published file has"]),
        ("truncated_payload", ["truncated", "announces", "39,216", "but it has 39,116"]),
        ("padded_payload", ["longer than its header says"]),
        ("bad_magic", ["magic number 2052", "expected 2051"]),
        ("not_gzip", ["not a valid gzip file"]),
        ("flipped_byte", ["fails its checksum", "MD5"]),
        ("garbage_gz", ["gzip"]),
    ],
)
def test_corrupt_file_is_an_error_naming_the_file(env, synth, how, words):
    files = dict(synth)
    files[TEST_IMAGES] = _corrupt(synth, TEST_IMAGES, how)
    write_files(env["local"] / "mnist", files)
    with pytest.raises(DataIntegrityError) as exc:
        load_dataset("mnist", pool="test")
    msg = str(exc.value)
    assert str(env["local"] / "mnist" / TEST_IMAGES) in msg
    for w in words:
        assert w in msg, (w, msg)
    assert "Delete it" in msg or "checksum" in msg


def test_wrong_checksum_names_the_file_and_the_expected_md5(env, synth, monkeypatch):
    write_files(env["local"] / "mnist", synth)
    monkeypatch.setitem(data.MD5_GZ["mnist"], TEST_LABELS, "0" * 32)
    monkeypatch.setitem(data.SHA256_PAYLOAD["mnist"], TEST_LABELS, "1" * 64)
    with pytest.raises(DataIntegrityError, match=f"{TEST_LABELS} fails its checksum.*0{{32}}"):
        load_dataset("mnist", pool="test")


def test_payload_sha256_accepts_a_regzipped_copy(env, synth):
    regz = dict(synth)
    regz[TEST_IMAGES] = gz(gzip.decompress(synth[TEST_IMAGES]), mtime=12345)  # other gz bytes, same payload
    assert regz[TEST_IMAGES] != synth[TEST_IMAGES]
    write_files(env["local"] / "mnist", regz)
    assert load_dataset("mnist", pool="test").X_query.shape == (5, 784)


def test_file_of_the_other_dataset_is_identified(env, monkeypatch):
    mnist, fashion = make_files(seed=0), make_files(seed=5)
    register(monkeypatch, "mnist", mnist)
    register(monkeypatch, "fashion-mnist", fashion)
    files = dict(mnist)
    files[TEST_IMAGES] = fashion[TEST_IMAGES]
    write_files(env["local"] / "mnist", files)
    with pytest.raises(DataIntegrityError, match="It is Fashion-MNIST t10k-images"):
        load_dataset("mnist", pool="test")


def test_count_mismatch_between_images_and_labels(env, monkeypatch):
    files = make_files(80, 50)
    img, _ = split_arrays(50, 1)
    _, lab = split_arrays(40, 1)
    files[TEST_IMAGES], files[TEST_LABELS] = gz(idx_payload(img)), gz(idx_payload(lab))
    register(monkeypatch, "mnist", files)
    write_files(env["local"] / "mnist", files)
    with pytest.raises(DataIntegrityError, match="50 images but .* 40 labels"):
        load_dataset("mnist", pool="test")


def test_labels_out_of_range_and_wrong_image_shape(env, monkeypatch):
    files = make_files(80, 50)
    img, lab = split_arrays(50, 1)
    lab[3] = 11
    files[TEST_LABELS] = gz(idx_payload(lab))
    files[TEST_IMAGES] = gz(idx_payload(img[:, :27, :]))
    register(monkeypatch, "mnist", files)
    write_files(env["local"] / "mnist", files)
    with pytest.raises(DataIntegrityError, match=r"images of shape \(27, 28\), expected \(28, 28\)"):
        load_dataset("mnist", pool="test")
    files[TEST_IMAGES] = gz(idx_payload(img))
    register(monkeypatch, "mnist", files)
    write_files(env["local"] / "mnist", files)
    with pytest.raises(DataIntegrityError, match="label 11, expected labels 0..9"):
        load_dataset("mnist", pool="test")


def test_verify_file_public_helper(tmp_path, synth):
    path = write_files(tmp_path, synth) / TRAIN_LABELS
    labels = data.verify_file(path, "mnist")
    np.testing.assert_array_equal(labels, split_arrays(80, 0)[1])
    with pytest.raises(ValueError, match="fname must be one of"):
        data.verify_file(path, "mnist", "labels.gz")
    with pytest.raises(FileNotFoundError):
        data.verify_file(tmp_path / "nope" / TRAIN_LABELS, "mnist")


# ---------------------------------------------------------------------------------------------
# folder search order; corrupt first folder is an error, not a fallback
# ---------------------------------------------------------------------------------------------


def test_search_order_env_then_shared_then_local_then_debian(env, synth, monkeypatch, tmp_path):
    folders = data.dataset_folders("fashion-mnist")
    assert folders == [env["local"] / "fashion-mnist", env["debian"]]  # shared absent
    env["shared"].mkdir(parents=True)
    folders = data.dataset_folders("fashion-mnist")
    assert folders == [env["shared"] / "fashion-mnist", env["local"] / "fashion-mnist", env["debian"]]
    monkeypatch.setenv("LSHLAB_DATA_DIR", str(tmp_path / "mine"))
    assert data.dataset_folders("mnist") == [tmp_path / "mine" / "mnist", env["local"] / "mnist"]
    assert data.dataset_folders("mnist", data_dir=tmp_path / "x") == [tmp_path / "x" / "mnist", tmp_path / "x"]


def test_first_folder_holding_the_files_wins(env, synth, monkeypatch):
    register(monkeypatch, "fashion-mnist", synth)
    for key in ("shared", "local"):
        write_files(env[key] / "fashion-mnist", synth)
    write_files(env["debian"], synth)
    assert load_dataset("fashion-mnist").source == str(env["shared"] / "fashion-mnist")
    # shared lacks the train files: official comes from the local folder, test pool still from shared
    for name in (TRAIN_IMAGES, TRAIN_LABELS):
        (env["shared"] / "fashion-mnist" / name).unlink()
    assert load_dataset("fashion-mnist").source == str(env["local"] / "fashion-mnist")
    assert load_dataset("fashion-mnist", pool="test").source == str(env["shared"] / "fashion-mnist")
    # Debian's folder is the last resort
    for name in ALL_FILES:
        (env["local"] / "fashion-mnist" / name).unlink()
    assert load_dataset("fashion-mnist").source == str(env["debian"])
    assert load_dataset("fashion-mnist").classes[9] == "Ankle boot"


def test_corrupt_file_in_first_folder_is_an_error_not_a_fallback(env, synth, monkeypatch):
    monkeypatch.setenv("LSHLAB_DATA_DIR", str(env["project"].parent / "mine"))
    bad = dict(synth)
    bad[TEST_LABELS] = synth[TEST_LABELS][:-8]
    write_files(env["project"].parent / "mine" / "mnist", bad)
    write_files(env["local"] / "mnist", synth)  # a good copy further down the search order
    with pytest.raises(DataIntegrityError, match=f"mine/mnist/{TEST_LABELS} is truncated"):
        load_dataset("mnist", pool="test")
    with pytest.raises(DataIntegrityError):
        load_dataset("mnist", pool="official")


def test_data_dir_argument_replaces_the_search(env, synth, tmp_path):
    write_files(env["local"] / "mnist", synth)
    flat = write_files(tmp_path / "flat", synth)
    ds = load_dataset("mnist", data_dir=flat)
    assert ds.source == str(flat)
    with pytest.raises(FileNotFoundError, match="Folders searched: .*empty/mnist, .*empty\\."):
        load_dataset("mnist", data_dir=tmp_path / "empty")


def test_notebook_cwd_finds_the_project_and_shared_data(monkeypatch, tmp_path):
    project = tmp_path / "proj"
    (project / "lshlab").mkdir(parents=True)
    (project / "lshlab" / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text("")
    (project / "notebooks").mkdir()
    (tmp_path / "shared" / "data").mkdir(parents=True)
    monkeypatch.chdir(project / "notebooks")
    monkeypatch.delenv("LSHLAB_DATA_DIR", raising=False)
    assert project in folders.project_roots()
    assert tmp_path / "shared" / "data" in folders.shared_roots()


def test_missing_train_images_error_says_what_where_md5_and_alternative(env, synth):
    write_files(env["shared"] / "mnist", synth, names=[TRAIN_LABELS, TEST_IMAGES, TEST_LABELS])
    assert load_dataset("mnist", pool="test").X_train.shape == (45, 784)
    with pytest.raises(FileNotFoundError) as exc:
        load_dataset("mnist")
    msg = str(exc.value)
    for w in ["Missing: train-images-idx3-ubyte.gz", data.MD5_GZ["mnist"][TRAIN_IMAGES],
              str(env["local"] / "mnist"), "pool='test'", "'digits'", "LSHLAB_OFFLINE",
              f"next to the others in {env['shared'] / 'mnist'}"]:
        assert w in msg, (w, msg)
    assert "Missing: t10k" not in msg
    with pytest.raises(FileNotFoundError, match="download=False"):
        load_dataset("mnist", download=False)


# ---------------------------------------------------------------------------------------------
# cache
# ---------------------------------------------------------------------------------------------


def test_cache_is_used_lives_in_project_data_and_never_hides_a_changed_source(env, synth, monkeypatch):
    folder = write_files(env["shared"] / "mnist", synth)
    first = load_dataset("mnist", pool="test")
    caches = sorted(env["cache"].glob("*.npz"))
    assert len(caches) == 1 and caches[0].name.startswith("mnist-test-")
    assert not list(folder.glob("*.npz"))  # nothing written next to the source files

    calls = []
    real_read = sources.read_idx_gz
    monkeypatch.setattr(sources, "read_idx_gz", lambda path, ds, fname: calls.append(fname) or real_read(path, ds, fname))
    again = load_dataset("mnist", pool="test")
    assert calls == []  # served from the cache
    np.testing.assert_array_equal(first.X_train, again.X_train)

    # a changed (still valid) source misses the cache
    other = make_files(80, 50, seed=3)
    register(monkeypatch, "mnist", other)
    write_files(folder, other)
    changed = load_dataset("mnist", pool="test")
    assert calls == [TEST_IMAGES, TEST_LABELS]
    assert not np.array_equal(changed.X_query, first.X_query)
    assert len(list(env["cache"].glob("mnist-test-*.npz"))) == 1  # the stale entry was replaced

    # a source corrupted after caching is still an error
    (folder / TEST_LABELS).write_bytes(other[TEST_LABELS][:-4])
    with pytest.raises(DataIntegrityError, match="truncated"):
        load_dataset("mnist", pool="test")


def test_unreadable_cache_entry_is_rebuilt(env, synth):
    write_files(env["local"] / "mnist", synth)
    ref = load_dataset("mnist", pool="test")
    (cache,) = env["cache"].glob("*.npz")
    cache.write_bytes(b"not a zip file")
    with pytest.warns(DataCacheWarning, match=f"cache file {cache} is not a valid cache"):
        again = load_dataset("mnist", pool="test")
    np.testing.assert_array_equal(again.X_query, ref.X_query)
    with np.load(cache, allow_pickle=False) as z:
        assert z["images"].dtype == np.uint8


def test_cache_dir_env_override(env, synth, monkeypatch, tmp_path):
    monkeypatch.setenv("LSHLAB_CACHE_DIR", str(tmp_path / "elsewhere"))
    write_files(env["local"] / "mnist", synth)
    load_dataset("mnist", pool="test")
    assert len(list((tmp_path / "elsewhere").glob("mnist-test-*.npz"))) == 1


# ---------------------------------------------------------------------------------------------
# real data (skipped where the shared folder is absent)
# ---------------------------------------------------------------------------------------------

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(
    not (SHARED / "mnist" / TEST_IMAGES).is_file() and not os.environ.get("LSHLAB_DATA_DIR"),
    reason="shared MNIST / Fashion-MNIST files not present",
)


@needs_shared
def test_real_mnist_test_pool():
    ds = load_dataset("mnist", pool="test", download=False)
    assert ds.X_train.shape == (9000, 784) and ds.X_query.shape == (1000, 784)
    assert ds.X_train.dtype == np.float32 and 0.0 == ds.X_train.min() and ds.X_train.max() == 1.0
    assert set(np.unique(ds.y_train)) == set(range(10))
    assert not set(ds.train_index) & set(ds.query_index)
    # MNIST test-set label counts are well known: 980 zeros ... 1009 nines in the full split
    full = np.bincount(np.concatenate([ds.y_train, ds.y_query]), minlength=10)
    assert full.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@needs_shared
def test_real_fashion_official_small_subsample():
    ds = load_dataset("fashion-mnist", n_train=2000, n_query=200, seed=0, download=False)
    assert ds.X_train.shape == (2000, 784) and ds.X_query.shape == (200, 784)
    assert ds.train_index.max() < 60000 and ds.query_index.max() < 10000
    assert ds.classes[0] == "T-shirt/top"
    assert set(np.unique(ds.y_train)) == set(range(10))


# ---------------------------------------------------------------------------------------------
# property: any valid (n_train, n_query, seed) gives disjoint, reproducible, correctly sized pools
# ---------------------------------------------------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(n_query=st.integers(1, 180), n_train=st.integers(1, 180), seed=st.integers(0, 2**32 - 1))
def test_test_pool_property(n_query, n_train, seed):
    ds = load_dataset("digits", pool="test", n_train=n_train, n_query=n_query, seed=seed)
    assert ds.X_train.shape == (n_train, 64) and ds.X_query.shape == (n_query, 64)
    assert not set(ds.train_index) & set(ds.query_index)
    assert len(set(ds.train_index)) == n_train and ds.train_index.max() < 360
    again = load_dataset("digits", pool="test", n_train=n_train, n_query=n_query, seed=seed)
    np.testing.assert_array_equal(ds.train_index, again.train_index)
    np.testing.assert_array_equal(ds.y_query, again.y_query)


def test_returned_arrays_are_fresh_copies():
    a = load_dataset("digits")
    a.X_train[:] = 7.0
    a.y_train[:] = 3
    b = load_dataset("digits")
    assert b.X_train.max() == 1.0 and b.y_train[:10].tolist() == list(range(10))


# ---------------------------------------------------------------------------------------------
# tabular loaders (lshlab.data.tabular)
# ---------------------------------------------------------------------------------------------


def test_csv_loader(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("a,b,label\n1,2,yes\n")
    with pytest.raises(ValueError, match="non-numeric"):
        data.load_csv_classification(p)
    p.write_text("a,b,label\n1,2,0\n3,4,1\n5,6,1\n")
    X, y = data.load_csv_classification(p)
    np.testing.assert_array_equal(y, [-1, 1, 1])
    np.testing.assert_array_equal(X, [[1, 2], [3, 4], [5, 6]])
    assert X.shape == (3, 2) and X.dtype == np.float32
    X, y = data.load_csv_classification(p, label_column=0, positive=3)  # first column is the label
    np.testing.assert_array_equal(y, [-1, 1, -1])
    np.testing.assert_array_equal(X, [[2, 0], [4, 1], [6, 1]])
    with pytest.raises(ValueError, match="positive=9 does not occur"):
        data.load_csv_classification(p, positive=9)
    with pytest.raises(FileNotFoundError):
        data.load_csv_classification(tmp_path / "missing.csv")


def test_binary_task_keeps_two_classes_disjoint_and_signed():
    Xtr, ytr, Xte, yte = data.binary_task("digits", 3, 8, 100, 50, seed=1)
    assert Xtr.shape == (100, 64) and Xte.shape == (50, 64)
    assert set(np.unique(ytr)) == {-1, 1} and set(np.unique(yte)) <= {-1, 1}
    ds = load_dataset("digits")
    X = np.concatenate([ds.X_train, ds.X_query])
    y = np.concatenate([ds.y_train, ds.y_query])
    # every row is an image of class 3 (label +1) or 8 (label -1) of the dataset, and no row is reused
    rows = {r.tobytes(): c for r, c in zip(X, y)}
    for Xs, ys in ((Xtr, ytr), (Xte, yte)):
        assert [rows[r.tobytes()] for r in Xs] == [3 if s == 1 else 8 for s in ys]
    assert not {r.tobytes() for r in Xtr} & {r.tobytes() for r in Xte}
    again = data.binary_task("digits", 3, 8, 100, 50, seed=1)
    np.testing.assert_array_equal(again[0], Xtr)


@pytest.mark.parametrize(
    "args, words",
    [
        (("digits", 3, 3, 10, 10), ["positive and negative must be different"]),
        (("digits", 3, 11, 10, 10), ["negative must be a class label", "0..9", "11"]),
        (("digits", True, 1, 10, 10), ["positive must be a class label"]),
        (("digits", 3, 8, 0, 10), ["n_train"]),
        (("digits", 3, 8, 400, 10), ["asked for n_train + n_test = 410"]),
        (("cifar", 3, 8, 10, 10), ["name must be one of"]),
    ],
)
def test_binary_task_bad_arguments(args, words):
    with pytest.raises(ValueError) as exc:
        data.binary_task(*args)
    for w in words:
        assert w in str(exc.value), (w, str(exc.value))
