"""mldojo.datasets: the IDX reader, the restricted unpickler, finding copies, checksums, the decoded cache, the downloader."""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from data_server import DataServer, Route, closed_port_url
from mldojo.datasets import (
    DatasetCorrupt,
    DatasetMissing,
    DownloadFailed,
    IdxFormatError,
    RefusedPickle,
    UnknownDataset,
    find_dataset,
    images,
    load_fashion_mnist,
    load_mnist,
    locate,
    paths,
    read_idx,
    registry,
)
from mldojo.datasets.checksums import MISMATCH, UNKNOWN, VERIFIED, check_found, overall_state
from mldojo.datasets.download import fetch
from mldojo.datasets.idx import write_idx
from mldojo.datasets.nielsen import load_arrays_pickle

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_shared = pytest.mark.skipif(not (SHARED / "mnist.pkl.gz").is_file(), reason=f"the real data sets are not in {SHARED}")
needs_fashion = pytest.mark.skipif(
    not (FASHION / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"real Fashion-MNIST IDX files not in {FASHION}: install Debian's dataset-fashion-mnist package",
)


@pytest.fixture(autouse=True)
def user_dirs(tmp_path, monkeypatch):
    """Fresh config and cache folders per test; no data folder unless a test sets one."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MLDOJO_DATA_DIR", raising=False)
    for name in ("MLDOJO_MNIST_MIRRORS", "MLDOJO_FASHION_MNIST_MIRRORS"):
        monkeypatch.delenv(name, raising=False)


def register(name: str, path: Path) -> None:
    """What `grade data add NAME PATH` stores."""
    registrations = paths.read_registrations()
    registrations[name] = str(path)
    paths.write_registrations(registrations)


# -- IDX reader ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip_for_every_type(tmp_path, dtype, suffix):
    rng = np.random.default_rng(0)
    array = (rng.normal(size=(3, 4, 5)) * 100).astype(dtype)
    path = write_idx(tmp_path / f"a-idx3-ubyte{suffix}", array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == bool(suffix)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative and back.shape == (3, 4, 5)
    np.testing.assert_array_equal(back, array)


def test_idx_reader_decodes_hand_written_big_endian_bytes(tmp_path):
    # magic 00 00 0B (int16) 01 (one dimension), size 3, then three big-endian int16.
    (tmp_path / "a").write_bytes(bytes.fromhex("00000B01" "00000003" "0102" "FFFE" "7FFF"))
    np.testing.assert_array_equal(read_idx(tmp_path / "a"), np.array([258, -2, 32767], dtype=np.int16))
    # uint8 images (2, 2, 2), gzip'd, whatever the file's name.
    (tmp_path / "b.bin").write_bytes(gzip.compress(bytes.fromhex("00000803" "00000002" "00000002" "00000002") + bytes(range(8))))
    np.testing.assert_array_equal(read_idx(tmp_path / "b.bin"), np.arange(8, dtype=np.uint8).reshape(2, 2, 2))


@pytest.mark.parametrize(
    "payload, words",
    [
        (bytes.fromhex("00000801" "00000005") + b"\x01\x02", "truncated"),
        (bytes.fromhex("00000803" "00000002"), "truncated"),
        (b"\x00\x00", "too short"),
        (bytes.fromhex("00000801" "00000002") + b"\x01\x02\x03", "unexpected bytes"),
        (b"PK\x03\x04" + bytes(20), "not an IDX file"),
        (bytes.fromhex("00000F01" "00000001") + b"\x00", "not an IDX file"),
        (bytes.fromhex("00000D03" "FFFFFFFF" "FFFFFFFF" "FFFFFFFF") + bytes(8), "truncated"),
    ],
    ids=["short-data", "short-header", "tiny", "trailing", "zip-magic", "bad-type-code", "huge-dims"],
)
def test_idx_reader_says_what_is_wrong(tmp_path, payload, words):
    path = tmp_path / "broken-idx1-ubyte"
    path.write_bytes(payload)
    with pytest.raises(IdxFormatError, match=words) as caught:
        read_idx(path)
    assert str(path) in str(caught.value)


def test_idx_reader_refuses_a_cut_gzip_stream(tmp_path):
    whole = gzip.compress(bytes.fromhex("00000801" "00002710") + bytes(10000))
    path = tmp_path / "cut-idx1-ubyte.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(IdxFormatError, match="damaged or cut short"):
        read_idx(path)


@needs_fashion
def test_idx_reader_on_the_real_fashion_mnist_files():
    train = read_idx(FASHION / "train-images-idx3-ubyte.gz")
    labels = read_idx(FASHION / "train-labels-idx1-ubyte.gz")
    test = read_idx(FASHION / "t10k-images-idx3-ubyte.gz")
    assert train.shape == (60000, 28, 28) and train.dtype == np.uint8 and test.shape == (10000, 28, 28)
    assert labels.shape == (60000,) and np.bincount(labels).tolist() == [6000] * 10  # balanced classes
    assert train.max() == 255 and train.min() == 0


@pytest.mark.slow  # decodes a full-size (60k + 10k) set
@needs_fashion
def test_fashion_mnist_is_found_in_its_own_folder_and_never_taken_for_mnist(monkeypatch):
    monkeypatch.setenv("MLDOJO_DATA_DIR", str(FASHION.parent))  # /usr/share/datasets holds fashion-mnist/
    data = load_fashion_mnist()
    assert data.train_images.shape == (60000, 784) and data.train_images.dtype == np.float32
    assert data.train_images.max() == 1.0 and data.test_labels.dtype == np.int64
    assert "fashion-mnist" in data.source and "MLDOJO_DATA_DIR" in data.source
    with pytest.raises(DatasetMissing):
        load_mnist()  # same file names, but not in an MNIST folder


@needs_fashion
def test_fashion_files_registered_as_mnist_are_a_mismatch_and_refused(tmp_path):
    register("mnist", FASHION)
    found = locate("mnist")
    checks = check_found(found)
    assert overall_state(checks) == MISMATCH
    assert all("fashion-mnist's" in check.detail for check in checks.values())
    with pytest.raises(DatasetCorrupt, match="fails its checksum"):
        load_mnist()


@needs_fashion
def test_re_compressed_fashion_files_verify_by_content_and_a_truncated_one_does_not(tmp_path):
    folder = tmp_path / "fashion-mnist"
    shutil.copytree(FASHION, folder)
    register("fashion-mnist", folder)
    assert overall_state(check_found(locate("fashion-mnist"))) == VERIFIED
    labels = folder / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:-100])
    checks = check_found(locate("fashion-mnist"))
    assert checks["train_labels"].state == MISMATCH and "decompressed" in checks["train_labels"].detail
    with pytest.raises(DatasetCorrupt):
        load_fashion_mnist()


# -- a synthetic MNIST-sized set (real shapes, generated content) ---------------------------
@pytest.fixture(scope="module")
def fake_mnist(tmp_path_factory) -> Path:
    """Plain (uncompressed) IDX files with MNIST's shapes and a known pattern."""
    folder = tmp_path_factory.mktemp("fake") / "mnist"
    folder.mkdir()
    for split, rows in (("train", 60000), ("t10k", 10000)):
        pixels = (np.arange(rows * 784, dtype=np.int64) % 251).astype(np.uint8).reshape(rows, 28, 28)
        write_idx(folder / f"{split}-images-idx3-ubyte", pixels)
        write_idx(folder / f"{split}-labels-idx1-ubyte", (np.arange(rows) % 10).astype(np.uint8))
    return folder


@pytest.mark.slow  # decodes a full-size (60k + 10k) set
def test_idx_mnist_decodes_to_float32_in_0_1_and_int64_labels(fake_mnist, monkeypatch):
    monkeypatch.setenv("MLDOJO_DATA_DIR", str(fake_mnist.parent))  # found in its mnist/ sub-folder
    data = load_mnist()
    assert data.train_images.shape == (60000, 784) and data.train_images.dtype == np.float32
    assert data.test_images.shape == (10000, 784) and data.test_labels.dtype == np.int64
    assert data.train_images[0, 250] == np.float32(250 / 255) and data.train_images[0, 251] == 0.0
    np.testing.assert_array_equal(data.train_labels[:12], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    assert str(fake_mnist) in data.source
    states = {check.state for check in check_found(locate("mnist")).values()}
    assert states == {UNKNOWN}, "no published checksum exists for uncompressed MNIST files"


@pytest.mark.slow  # decodes a full-size (60k + 10k) set
def test_second_load_comes_from_the_decoded_cache(fake_mnist, monkeypatch):
    register("mnist", fake_mnist)
    first = load_mnist()
    monkeypatch.setattr(images, "decode", lambda found: pytest.fail("decoded again although the cache is valid"))
    second = load_mnist()
    np.testing.assert_array_equal(first.train_images, second.train_images)
    np.testing.assert_array_equal(first.test_labels, second.test_labels)
    cached = list(paths.decoded_dir().iterdir())
    assert len(cached) == 1 and not cached[0].name.startswith("."), "no temporary folder is left behind"


@pytest.mark.slow  # decodes a full-size (60k + 10k) set
def test_changing_a_source_file_invalidates_the_cache(fake_mnist, tmp_path):
    folder = tmp_path / "mnist"
    shutil.copytree(fake_mnist, folder)
    register("mnist", folder)
    assert load_mnist().train_labels[0] == 0
    labels = (np.arange(60000) % 10).astype(np.uint8)
    labels[0] = 7
    write_idx(folder / "train-labels-idx1-ubyte", labels)
    assert load_mnist().train_labels[0] == 7


@pytest.mark.slow  # decodes a full-size (60k + 10k) set
def test_a_damaged_cache_is_decoded_again(fake_mnist):
    register("mnist", fake_mnist)
    load_mnist()
    (cached,) = paths.decoded_dir().iterdir()
    (cached / "train_images.npy").write_bytes(b"\x93NUMPY garbage")
    assert load_mnist().train_images.shape == (60000, 784)


@pytest.mark.slow  # decodes a full-size (60k + 10k) set
def test_a_rewritten_cache_is_rebuilt_never_used(fake_mnist):
    """Cached arrays rewritten behind mldojo's back (test labels all set to one class) are
    refused by their recorded checksums and decoded again from the source."""
    register("mnist", fake_mnist)
    truth = load_mnist().test_labels.copy()
    (cached,) = paths.decoded_dir().iterdir()
    poisoned = np.zeros(10000, np.int64)
    np.save(cached / "test_labels.npy", poisoned)
    np.testing.assert_array_equal(load_mnist().test_labels, truth)


@needs_shared
@pytest.mark.slow  # decompresses and unpickles 220 MB
def test_a_poisoned_cache_of_the_real_mnist_is_caught_even_with_its_checksums_rewritten(monkeypatch):
    """For a copy with the published checksums, the labels must be the published ones: a cache
    whose arrays and checksum record were both rewritten is still not scored against."""
    import json

    monkeypatch.setenv("MLDOJO_DATA_DIR", str(SHARED))
    truth = load_mnist().test_labels.copy()
    (cached,) = paths.decoded_dir().iterdir()
    forged = truth.copy()
    forged[:100] = 0
    np.save(cached / "test_labels.npy", forged)
    record = json.loads((cached / images.CHECKSUMS).read_text())
    record["test_labels"] = images._digest(np.load(cached / "test_labels.npy"))
    (cached / images.CHECKSUMS).write_text(json.dumps(record))
    np.testing.assert_array_equal(load_mnist().test_labels, truth)


@pytest.mark.slow  # decodes a full-size (60k + 10k) set
@pytest.mark.parametrize(
    "role, array, words",
    [
        ("train_labels", (np.arange(60000) % 11).astype(np.uint8), "outside"),
        ("train_labels", np.zeros(60000, np.uint8), "only the classes"),
        ("test_labels", np.zeros(9999, np.uint8), "should be"),
    ],
    ids=["label-10", "one-class", "short-test"],
)
def test_wrong_content_is_refused_with_what_differs(fake_mnist, tmp_path, role, array, words):
    folder = tmp_path / "mnist"
    shutil.copytree(fake_mnist, folder)
    name = {"train_labels": "train-labels-idx1-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}[role]
    write_idx(folder / name, array)
    register("mnist", folder)
    with pytest.raises(DatasetCorrupt, match=words):
        load_mnist()


# -- Nielsen's pickle through the restricted unpickler --------------------------------------
@needs_shared
@pytest.mark.slow  # decompresses and unpickles 220 MB: about 3 s cold
def test_real_mnist_pickle_through_mldojo_data_dir(monkeypatch):
    monkeypatch.setenv("MLDOJO_DATA_DIR", str(SHARED))
    start = time.perf_counter()
    data = load_mnist()
    cold = time.perf_counter() - start
    assert data.train_images.shape == (60000, 784) and data.train_images.dtype == np.float32
    assert data.train_labels.shape == (60000,) and data.train_labels.dtype == np.int64
    assert data.test_images.shape == (10000, 784) and data.test_labels.shape == (10000,)
    assert 0.0 <= data.train_images.min() and data.train_images.max() <= 1.0
    np.testing.assert_array_equal(data.train_labels[:8], [5, 0, 4, 1, 9, 2, 1, 3])  # MNIST's famous first digits
    np.testing.assert_array_equal(data.test_labels[:4], [7, 2, 1, 0])
    assert np.bincount(data.test_labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert "mnist.pkl.gz" in data.source and "MLDOJO_DATA_DIR" in data.source
    assert overall_state(check_found(locate("mnist"))) == VERIFIED
    start = time.perf_counter()
    again = load_mnist()
    warm = time.perf_counter() - start
    np.testing.assert_array_equal(again.train_images[12345], data.train_images[12345])
    assert warm < cold, f"the decoded cache should be faster than decoding ({warm:.2f} s vs {cold:.2f} s)"


class _RunsShell:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _Evals:
    def __reduce__(self):
        return (eval, ("__import__('os').getcwd()",))


def _hostile_pickle(folder: Path, payload) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(payload, protocol=2)))
    return path


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_restricted_unpickler_loads_arrays_and_tuples_only(protocol):
    arrays = ((np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2], dtype=np.int64)), np.float64(3.5), [np.zeros(0)])
    back = load_arrays_pickle(pickle.dumps(arrays, protocol=protocol))
    np.testing.assert_array_equal(back[0][0], arrays[0][0])
    assert back[0][1].dtype == np.int64 and back[1] == 3.5 and back[2][0].shape == (0,)


def test_a_pickle_that_would_run_a_shell_command_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    evil = _RunsShell()
    evil.marker = marker
    payload = ((np.zeros((2, 784), np.float32), evil), (np.zeros(1), np.zeros(1)), (np.zeros(1), np.zeros(1)))
    register("mnist", _hostile_pickle(tmp_path / "data", payload))
    with pytest.raises(RefusedPickle, match=r"posix\.system|os\.system|nt\.system") as caught:
        load_mnist()
    assert "refuses" in str(caught.value) and "mnist.pkl.gz" in str(caught.value)
    assert not marker.exists(), "the refused pickle must not have run anything"


@pytest.mark.parametrize("payload", [_Evals(), np.array([_Evals()], dtype=object)], ids=["eval", "object-array"])
def test_other_hostile_pickles_are_refused(payload):
    with pytest.raises(RefusedPickle, match="eval"):
        load_arrays_pickle(pickle.dumps(payload, protocol=2))


def test_a_pickle_of_the_wrong_shape_is_refused_with_what_it_holds(tmp_path):
    register("mnist", _hostile_pickle(tmp_path / "data", (np.zeros((3, 784)), np.zeros(3))))
    with pytest.raises(DatasetCorrupt, match=r"expected \(\(train_x"):
        load_mnist()


# -- finding copies -------------------------------------------------------------------------
def _titanic_copy(folder: Path, name: str = "titanic_train.csv", extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    source = SHARED / "titanic_train.csv"
    text = source.read_text() if source.is_file() else "PassengerId,Survived,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n"
    target.write_text(text + extra)
    return target


def test_search_order_registered_then_data_dir_then_download_cache(tmp_path, monkeypatch):
    cached = _titanic_copy(paths.download_dir("titanic"), "train.csv")
    assert find_dataset("titanic") == cached and locate("titanic").rule == "download cache"
    in_data_dir = _titanic_copy(tmp_path / "data", "titanic.csv")
    monkeypatch.setenv("MLDOJO_DATA_DIR", str(tmp_path / "data"))
    assert find_dataset("titanic") == in_data_dir and locate("titanic").rule == "MLDOJO_DATA_DIR"
    mine = _titanic_copy(tmp_path / "elsewhere", "kaggle-download.csv")
    register("titanic", mine)
    assert find_dataset("titanic") == mine and "registered" in locate("titanic").rule


def test_a_bare_train_csv_counts_only_in_a_titanic_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MLDOJO_DATA_DIR", str(tmp_path))
    _titanic_copy(tmp_path, "train.csv")  # could be any competition's train.csv
    with pytest.raises(DatasetMissing):
        find_dataset("titanic")
    inside = _titanic_copy(tmp_path / "titanic", "train.csv")
    assert find_dataset("titanic") == inside


def test_one_level_down_only_for_names_no_other_data_set_uses(tmp_path, monkeypatch, fake_mnist):
    monkeypatch.setenv("MLDOJO_DATA_DIR", str(tmp_path))
    shutil.copytree(fake_mnist, tmp_path / "downloads")  # IDX names in an unnamed folder: could be Fashion-MNIST
    with pytest.raises(DatasetMissing):
        locate("mnist")
    found = _titanic_copy(tmp_path / "kaggle", "titanic_train.csv")
    assert find_dataset("titanic") == found


@needs_shared
def test_find_dataset_titanic_through_the_tests_data_dir(monkeypatch):
    monkeypatch.setenv("MLDOJO_DATA_DIR", str(SHARED))
    path = find_dataset("titanic")
    assert path == SHARED / "titanic_train.csv"
    assert overall_state(check_found(locate("titanic"))) == VERIFIED


def test_an_edited_titanic_csv_is_an_unknown_file_not_a_mismatch(tmp_path):
    register("titanic", _titanic_copy(tmp_path, extra="892,0,3,Someone,male,30,0,0,X,7.0,,S\n"))
    assert overall_state(check_found(locate("titanic"))) == UNKNOWN  # other genuine versions exist


def test_the_missing_message_says_where_it_looked_the_url_and_the_commands(tmp_path, monkeypatch):
    monkeypatch.setenv("MLDOJO_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DatasetMissing) as caught:
        load_mnist()
    message = str(caught.value)
    for words in ("no path registered", "nowhere", "is not a folder", "download cache", "grade data fetch mnist", "grade data add mnist PATH", "https://ossci-datasets.s3.amazonaws.com/mnist/", "mnist.pkl.gz"):
        assert words in message, (words, message)
    with pytest.raises(DatasetMissing) as caught:
        find_dataset("titanic")
    assert "kaggle.com/competitions/titanic" in str(caught.value) and "grade data add titanic" in str(caught.value)


def test_a_registered_path_that_vanished_is_reported(tmp_path):
    register("titanic", tmp_path / "gone.csv")
    with pytest.raises(DatasetMissing, match="does not exist any more"):
        find_dataset("titanic")


def test_unknown_names_get_suggestions():
    with pytest.raises(UnknownDataset, match="Did you mean mnist"):
        locate("mnsit")
    with pytest.raises(UnknownDataset, match="fashion-mnist"):
        locate("fashion_mnst")


def test_registry_checksums_are_well_formed():
    for spec in registry.DATASETS.values():
        for layout in spec.layouts:
            for file in layout.files:
                for name in file.names:
                    for algorithm, digest in name.digests.items():
                        assert len(digest) == hashlib.new(algorithm).digest_size * 2 and int(digest, 16) >= 0
    assert registry.MNIST.layout("idx").files[0].names[0].digests == {"md5": "f68b3c2dcbeaaa9fbdd348bbdeb94873"}


# -- the downloader -------------------------------------------------------------------------
@pytest.fixture()
def tiny_set(monkeypatch):
    """A downloadable data set 'tiny' of two small IDX files, registered for the test only."""
    bodies = {
        "tiny-images-idx3-ubyte.gz": gzip.compress(bytes.fromhex("00000803" "00000002" "00000002" "00000002") + bytes(range(8)), mtime=0),
        "tiny-labels-idx1-ubyte.gz": gzip.compress(bytes.fromhex("00000801" "00000002") + b"\x03\x04", mtime=0),
    }
    files = tuple(
        registry.FileSpec(name.split("-")[1], (registry.FileName(name, {"md5": hashlib.md5(body).hexdigest()}),)) for name, body in bodies.items()
    )
    spec = registry.DatasetSpec("tiny", "a tiny test set", (registry.Layout("idx", files),), "https://example.invalid/tiny", ("tiny",), False, ("http://127.0.0.1:9/",))
    monkeypatch.setitem(registry.DATASETS, "tiny", spec)
    return bodies


@pytest.fixture()
def server():
    running = DataServer().start()
    yield running
    running.stop()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".part") if folder.is_dir() else []


def test_fetch_skips_404_corrupt_and_truncated_mirrors_and_lands_a_verified_file(tiny_set, server):
    for name, body in tiny_set.items():
        server.routes[f"/corrupt/{name}"] = Route(body[:-1] + bytes([body[-1] ^ 0xFF]))
        server.routes[f"/cut/{name}"] = Route(body, mode="truncate")
        server.routes[f"/good/{name}"] = Route(body)
    mirrors = tuple(server.url + part for part in ("missing/", "corrupt/", "cut/", "good/"))
    events = []
    result = fetch("tiny", mirrors=mirrors, timeout=5, progress=events.append)
    folder = paths.download_dir("tiny")
    for name, body in tiny_set.items():
        assert (folder / name).read_bytes() == body
    assert _leftovers(folder) == []
    assert sorted(p.name for p in folder.iterdir()) == sorted(tiny_set)
    assert [p.name for p in result.downloaded] == list(tiny_set) and result.found.rule == "download cache"
    assert [e.file for e in events if e.done] == list(tiny_set)
    assert server.requests[:4] == [f"/{part}tiny-images-idx3-ubyte.gz" for part in ("missing/", "corrupt/", "cut/", "good/")]
    np.testing.assert_array_equal(read_idx(folder / "tiny-labels-idx1-ubyte.gz"), [3, 4])
    # A second fetch finds them verified and asks the network nothing.
    asked = len(server.requests)
    again = fetch("tiny", mirrors=mirrors, timeout=5)
    assert again.downloaded == [] and len(again.already_there) == 2 and len(server.requests) == asked


def test_a_corrupt_file_already_in_the_cache_is_replaced(tiny_set, server):
    folder = paths.download_dir("tiny")
    folder.mkdir(parents=True)
    (folder / "tiny-images-idx3-ubyte.gz").write_bytes(b"half a file")
    for name, body in tiny_set.items():
        server.routes[f"/{name}"] = Route(body)
    result = fetch("tiny", mirrors=(server.url,), timeout=5)
    assert (folder / "tiny-images-idx3-ubyte.gz").read_bytes() == tiny_set["tiny-images-idx3-ubyte.gz"]
    assert len(result.downloaded) == 2


def test_every_mirror_failing_gives_the_offline_message_and_leaves_nothing(tiny_set, server):
    name = "tiny-images-idx3-ubyte.gz"
    server.routes[f"/corrupt/{name}"] = Route(b"not the file")
    server.routes[f"/cut/{name}"] = Route(tiny_set[name], mode="truncate")
    server.routes[f"/slow/{name}"] = Route(mode="hang")
    refused = closed_port_url()
    mirrors = (server.url + "missing/", server.url + "corrupt/", server.url + "cut/", server.url + "slow/", refused)
    with pytest.raises(DownloadFailed) as caught:
        fetch("tiny", mirrors=mirrors, timeout=0.5)
    message = str(caught.value)
    for words in ("HTTP 404", "checksum mismatch", "truncated", "timed out", "cannot connect", "grade data add tiny PATH", "Are you offline?", refused):
        assert words in message, (words, message)
    assert all(mirror + name in message for mirror in mirrors)
    folder = paths.download_dir("tiny")
    assert list(folder.iterdir()) == [], "no half file, no temporary file"


def test_mirrors_can_be_overridden_by_environment(tiny_set, server, monkeypatch):
    for name, body in tiny_set.items():
        server.routes[f"/alt/{name}"] = Route(body)
    monkeypatch.setenv("MLDOJO_TINY_MIRRORS", f"{closed_port_url()}, {server.url}alt/")
    assert len(fetch("tiny", timeout=5).downloaded) == 2


def test_titanic_cannot_be_fetched_and_says_where_to_get_it():
    with pytest.raises(DatasetMissing, match="kaggle.com"):
        fetch("titanic")


# -- CIFAR-10's python-pickle batches (small generated folders; the real set is never downloaded) -------------------------
def test_a_cifar_batch_reads_as_channel_first_uint8_images_and_int_labels(tmp_path):
    from cifar_files import write_cifar
    from mldojo.datasets.cifar import read_batch

    for protocol in (2, 4):
        folder = write_cifar(tmp_path / f"p{protocol}", per_batch=12, protocol=protocol)
        batch = pickle.loads((folder / "data_batch_2").read_bytes())
        images, labels = read_batch(folder / "data_batch_2")
        assert images.dtype == np.uint8 and images.shape == (12, 3, 32, 32) and labels.dtype == np.int64
        np.testing.assert_array_equal(labels, batch[b"labels"])
        row = batch[b"data"][5]  # 1,024 red values, then green, then blue, each row by row
        np.testing.assert_array_equal(images[5, 0], row[:1024].reshape(32, 32))
        np.testing.assert_array_equal(images[5, 2, 31], row[2048 + 31 * 32:])


def test_load_cifar10_joins_the_five_training_batches_of_a_registered_copy(tmp_path):
    from cifar_files import CLASSES, write_cifar
    from mldojo.datasets import load_cifar10

    folder = write_cifar(tmp_path / "data", per_batch=10)
    register("cifar10", folder.parent)
    data = load_cifar10()
    assert data.train_images.shape == (50, 3, 32, 32) and data.test_images.shape == (10, 3, 32, 32)
    assert data.train_labels.shape == (50,) and sorted(data.test_labels.tolist()) == list(range(10))
    assert list(data.label_names) == CLASSES and "registered" in data.source
    found = locate("cifar10")
    assert overall_state(check_found(found)) == UNKNOWN  # generated files carry no published md5


@pytest.mark.parametrize("damage, words", [
    (lambda b: {**b, b"data": b[b"data"].astype(np.float32)}, "uint8 array (N, 3072)"),
    (lambda b: {**b, b"data": b[b"data"][:, :100]}, "uint8 array (N, 3072)"),
    (lambda b: {**b, b"labels": b[b"labels"][:-1]}, "labels of shape"),
    (lambda b: {**b, b"labels": [12] * len(b[b"labels"])}, "labels must be 0-9"),
    (lambda b: [b], "expected a pickled dict"),
])
def test_a_damaged_cifar_batch_is_refused_with_what_is_wrong(tmp_path, damage, words):
    from cifar_files import write_cifar
    from mldojo.datasets.cifar import read_batch

    folder = write_cifar(tmp_path, per_batch=10)
    path = folder / "data_batch_4"
    path.write_bytes(pickle.dumps(damage(pickle.loads(path.read_bytes())), protocol=2))
    with pytest.raises(DatasetCorrupt, match="data_batch_4") as caught:
        read_batch(path)
    assert words in str(caught.value)


def test_a_cifar_batch_that_would_run_code_is_refused(tmp_path):
    from cifar_files import write_cifar
    from mldojo.datasets.cifar import read_batch

    folder = write_cifar(tmp_path, per_batch=10)
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": os.system}, protocol=2))
    with pytest.raises(RefusedPickle, match="test_batch"):
        read_batch(folder / "test_batch")
