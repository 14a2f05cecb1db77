"""`grade data` run as a subprocess, the way a learner runs it (outside any workspace)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from data_server import closed_port_url

GRADE = Path(sys.executable).with_name("grade")
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_shared = pytest.mark.skipif(not (SHARED / "mnist.pkl.gz").is_file(), reason=f"the real data sets are not in {SHARED}")
needs_fashion = pytest.mark.skipif(not FASHION.is_dir(), reason=f"{FASHION} missing: install Debian's dataset-fashion-mnist package")


@pytest.fixture()
def home(tmp_path) -> Path:
    """A folder that is not a workspace, with its own config and cache folders inside."""
    (tmp_path / "cwd").mkdir()
    return tmp_path


def grade(home: Path, *args: str, data_dir: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `grade ARGS` in a non-workspace folder with this test's user folders."""
    command = [str(GRADE)] if GRADE.exists() else [sys.executable, "-m", "mldojo.cli"]
    full_env = {k: v for k, v in os.environ.items() if k not in ("MLDOJO_WORKSPACE", "MLDOJO_DATA_DIR", "MLDOJO_MNIST_MIRRORS")}
    full_env.update(XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"), NO_COLOR="1", COLUMNS="120")
    if data_dir is not None:
        full_env["MLDOJO_DATA_DIR"] = str(data_dir)
    full_env.update(env or {})
    return subprocess.run(command + list(args), cwd=home / "cwd", env=full_env, capture_output=True, text=True, timeout=300)


def block(output: str, name: str) -> str:
    """The lines of `grade data` about one data set."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{name} "))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() == ""), len(lines))
    return "\n".join(lines[start:end])


def test_nothing_found_lists_every_data_set_with_the_command_and_url(home):
    result = grade(home, "data")
    assert result.returncode == 0, result.stderr
    mnist = block(result.stdout, "mnist")
    assert "missing" in mnist and "grade data fetch mnist" in mnist and "https://ossci-datasets.s3.amazonaws.com/mnist/" in mnist
    assert "grade data add mnist PATH" in mnist
    titanic = block(result.stdout, "titanic")
    assert "missing" in titanic and "kaggle.com/competitions/titanic" in titanic and "grade data add titanic PATH" in titanic
    assert "grade data fetch titanic" not in titanic
    assert grade(home, "data", "list").stdout == result.stdout


@needs_shared
def test_data_dir_copies_are_listed_with_rule_size_and_checksum(home):
    result = grade(home, "data", data_dir=SHARED)
    assert result.returncode == 0, result.stderr
    mnist = block(result.stdout, "mnist")
    assert str(SHARED / "mnist.pkl.gz") in mnist and "via MLDOJO_DATA_DIR" in mnist and "17.1 MB" in mnist and "checksum verified" in mnist
    assert "checksum verified" in block(result.stdout, "titanic")


@needs_shared
@pytest.mark.slow  # decodes the real MNIST once
def test_data_mnist_opens_the_copy_and_describes_it(home):
    result = grade(home, "data", "mnist", data_dir=SHARED)
    assert result.returncode == 0, result.stderr
    assert "60000 images of 784 pixels, test: 10000" in result.stdout and "sha256 matches" in result.stdout


def test_data_show_for_a_missing_set_explains_and_exits_2(home):
    result = grade(home, "data", "mnist")
    assert result.returncode == 2
    assert "no copy of mnist" in result.stdout and "MLDOJO_DATA_DIR is not set" in result.stdout


@needs_shared
def test_add_remove_round_trip(home, tmp_path):
    folder = tmp_path / "my data"
    folder.mkdir()
    shutil.copy(SHARED / "titanic_train.csv", folder / "train.csv")
    added = grade(home, "data", "add", "titanic", str(folder))
    assert added.returncode == 0, added.stderr
    assert "verified" in added.stdout and "891 passengers" in added.stdout and f"titanic -> {folder}" in added.stdout
    listed = grade(home, "data", data_dir=SHARED)
    assert f"{folder / 'train.csv'}" in block(listed.stdout, "titanic") and "registered" in block(listed.stdout, "titanic")
    removed = grade(home, "data", "remove", "titanic", data_dir=SHARED)
    assert removed.returncode == 0 and "now found at" in removed.stdout and "MLDOJO_DATA_DIR" in removed.stdout
    assert "via MLDOJO_DATA_DIR" in block(grade(home, "data", data_dir=SHARED).stdout, "titanic")


def test_a_damaged_registrations_file_is_reported_not_fatal(home):
    registrations = home / "config" / "mldojo" / "data.json"
    registrations.parent.mkdir(parents=True)
    registrations.write_text("{ not json")
    result = grade(home, "data")
    assert result.returncode == 0 and "warning:" in result.stdout and "data.json cannot be read" in result.stdout


def test_add_refuses_a_path_without_the_files(home, tmp_path):
    (tmp_path / "empty").mkdir()
    result = grade(home, "data", "add", "mnist", str(tmp_path / "empty"))
    assert result.returncode == 2 and "no mnist files" in result.stderr and "mnist.pkl.gz" in result.stderr
    result = grade(home, "data", "add", "titanic", str(tmp_path / "absent.csv"))
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert not (home / "config" / "mldojo" / "data.json").exists(), "nothing was registered"


def test_add_refuses_a_csv_that_is_not_titanic(home, tmp_path):
    other = tmp_path / "prices.csv"
    other.write_text("Id,SalePrice\n1,100\n")
    result = grade(home, "data", "add", "titanic", str(other))
    assert result.returncode == 2 and "Survived" in result.stderr


@needs_fashion
@pytest.mark.slow  # decodes the real Fashion-MNIST once
def test_add_checks_the_files_are_the_named_data_set(home):
    good = grade(home, "data", "add", "fashion-mnist", str(FASHION))
    assert good.returncode == 0, good.stderr
    assert good.stdout.count("verified") == 4 and "60000 images" in good.stdout
    wrong = grade(home, "data", "add", "mnist", str(FASHION))
    assert wrong.returncode == 2 and "fashion-mnist's" in wrong.stdout and "not registered" in wrong.stderr


def test_fetch_offline_says_what_it_tried_and_how_to_register(home):
    mirror = closed_port_url()
    result = grade(home, "data", "fetch", "mnist", env={"MLDOJO_MNIST_MIRRORS": mirror})
    assert result.returncode == 2
    assert f"{mirror}train-images-idx3-ubyte.gz" in result.stderr and "grade data add mnist PATH" in result.stderr
    cache = home / "cache" / "mldojo" / "mnist"
    assert not cache.exists() or list(cache.iterdir()) == []


def test_fetch_titanic_points_to_kaggle(home):
    result = grade(home, "data", "fetch", "titanic")
    assert result.returncode == 2 and "kaggle.com" in result.stderr and "grade data add titanic" in result.stderr


def test_unknown_names_and_wrong_usage_exit_2(home):
    typo = grade(home, "data", "mnsit")
    assert typo.returncode == 2 and "Did you mean mnist" in typo.stderr and "fashion-mnist" in typo.stderr
    usage = grade(home, "data", "add", "mnist")
    assert usage.returncode == 2 and "grade data add NAME PATH" in usage.stderr


def test_the_missing_data_message_a_grader_shows(home):
    code = "from mldojo.datasets import load_mnist, DatasetMissing\ntry:\n    load_mnist()\nexcept DatasetMissing as exc:\n    print(exc)\n"
    env = {k: v for k, v in os.environ.items() if k != "MLDOJO_DATA_DIR"}
    env.update(XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for words in ("no copy of mnist", "grade data fetch mnist", "grade data add mnist PATH", "https://", "MLDOJO_DATA_DIR"):
        assert words in result.stdout


def test_grade_data_imports_no_numpy_for_listing_and_help(home):
    code = (
        "import sys, contextlib, io\n"
        "from mldojo.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help']); main(['data']); main(['data', 'remove', 'mnist'])\n"
        "assert 'numpy' not in sys.modules, 'numpy imported'\n"
    )
    env = dict(os.environ, XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


# -- CIFAR-10 (python-pickle batches), on small generated folders ------------------------------------------------------
def test_add_cifar10_registers_a_folder_of_pickle_batches(home, tmp_path):
    from cifar_files import write_cifar

    write_cifar(tmp_path / "downloads", per_batch=20)
    added = grade(home, "data", "add", "cifar10", str(tmp_path / "downloads"))
    assert added.returncode == 0, added.stderr
    assert "cifar-pickle files" in added.stdout and "train: 100 images 3x32x32, test: 20" in added.stdout
    assert "airplane, automobile" in added.stdout and "cifar10 -> " in added.stdout
    listed = block(grade(home, "data").stdout, "cifar10")
    assert "found" in listed and "cifar-10-batches-py" in listed and "registered" in listed


def test_add_cifar10_names_a_missing_or_damaged_batch_and_keeps_the_registration(home, tmp_path):
    from cifar_files import write_cifar

    good = write_cifar(tmp_path / "good")
    assert grade(home, "data", "add", "cifar10", str(good)).returncode == 0
    registrations = (home / "config" / "mldojo" / "data.json").read_text()
    partial = write_cifar(tmp_path / "partial")
    (partial / "data_batch_3").unlink()
    missing = grade(home, "data", "add", "cifar10", str(tmp_path / "partial"))
    assert missing.returncode == 2 and "data_batch_3 missing" in missing.stderr and "Nothing registered" in missing.stderr
    damaged = write_cifar(tmp_path / "damaged")
    (damaged / "test_batch").write_bytes((damaged / "test_batch").read_bytes()[:500])
    broken = grade(home, "data", "add", "cifar10", str(damaged))
    assert broken.returncode == 2 and "test_batch" in broken.stderr and "not a readable pickle" in broken.stderr
    assert (home / "config" / "mldojo" / "data.json").read_text() == registrations, "the earlier registration is kept"
    assert str(good) in block(grade(home, "data").stdout, "cifar10")
