"""What the datasets are: file names, published checksums, sizes and shapes, mirrors, class names.

Every table here is a fact about the published files (``shared/data/README.md``, the MNIST and
Fashion-MNIST pages), so any file that passes its checksum also has the size and shape listed; the readers
check the cheap facts (shape announced by the IDX header, file size) first, before spending memory or time.
"""

from __future__ import annotations

__all__ = [
    "DATASETS",
    "POOLS",
    "IDX_DATASETS",
    "SPLIT_FILES",
    "MD5_GZ",
    "SHA256_PAYLOAD",
    "GZ_SIZES",
    "IDX_SHAPES",
    "MIRRORS",
    "CLASS_NAMES",
    "TITLES",
    "IMAGE_SHAPE",
    "IDX_MAGIC",
    "DataIntegrityError",
    "DataCacheWarning",
    "check_name",
    "file_kind",
    "identify",
    "replace_hint",
]

DATASETS = ("digits", "mnist", "fashion-mnist")
POOLS = ("official", "test")
#: Datasets read from IDX gz files (the others are embedded).
IDX_DATASETS = ("mnist", "fashion-mnist")

#: (images, labels) file names of each official split; identical for MNIST and Fashion-MNIST.
SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

#: Published MD5 of the original gz files (shared/data/README.md; the MNIST and Fashion-MNIST pages).
MD5_GZ = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}

#: SHA-256 of the decompressed IDX payloads (shared/data/README.md).  Not known for MNIST's train
#: images, which are therefore accepted only with the published gz MD5.
SHA256_PAYLOAD = {
    "mnist": {
        "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}

#: Sizes in bytes of the published gz files: the most a download may transfer, and error messages.
GZ_SIZES = {
    "mnist": {
        "train-images-idx3-ubyte.gz": 9_912_422,
        "train-labels-idx1-ubyte.gz": 28_881,
        "t10k-images-idx3-ubyte.gz": 1_648_877,
        "t10k-labels-idx1-ubyte.gz": 4_542,
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": 26_421_880,
        "train-labels-idx1-ubyte.gz": 29_515,
        "t10k-images-idx3-ubyte.gz": 4_422_102,
        "t10k-labels-idx1-ubyte.gz": 5_148,
    },
}

_SHAPES = {
    "train-images-idx3-ubyte.gz": (60_000, 28, 28),
    "train-labels-idx1-ubyte.gz": (60_000,),
    "t10k-images-idx3-ubyte.gz": (10_000, 28, 28),
    "t10k-labels-idx1-ubyte.gz": (10_000,),
}

#: Array shape each IDX header must announce (both datasets: 60,000 train and 10,000 test images of
#: 28x28 pixels).  Checked before any payload byte is decompressed, so a forged header cannot make the
#: reader allocate more than the real file needs.
IDX_SHAPES = {"mnist": dict(_SHAPES), "fashion-mnist": dict(_SHAPES)}

#: Base URLs tried in order; the file name is appended.  ``LSHLAB_DATA_URL`` (one or more URLs separated
#: by spaces or commas; ``{name}`` is replaced by the dataset name) replaces this list.
MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    ),
}

CLASS_NAMES = {
    "digits": tuple(str(i) for i in range(10)),
    "mnist": tuple(str(i) for i in range(10)),
    "fashion-mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}

TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "digits": "digits"}
IMAGE_SHAPE = {"digits": (8, 8), "mnist": (28, 28), "fashion-mnist": (28, 28)}
#: IDX magic numbers: 0x00 0x00, type 0x08 (unsigned byte), number of dimensions.
IDX_MAGIC = {"images": 2051, "labels": 2049}


class DataIntegrityError(RuntimeError):
    """A data file exists but is truncated, corrupt or not the expected file."""


class DataCacheWarning(UserWarning):
    """A cached decoded dataset was unreadable or did not match what it claims, and is being rebuilt."""


def check_name(name, allowed=DATASETS):
    """Raise ``ValueError`` unless ``name`` is one of ``allowed`` (the argument is called ``name``)."""
    if not isinstance(name, str) or name not in allowed:
        raise ValueError(f"name must be one of {', '.join(repr(a) for a in allowed)}, got {name!r}")


def file_kind(fname: str) -> str:
    """``"images"`` or ``"labels"``, from an IDX file name."""
    return "images" if "images" in fname else "labels"


def identify(md5: str) -> str | None:
    """Name the known file whose published MD5 is ``md5`` (for 'wrong file' messages)."""
    for ds, table in MD5_GZ.items():
        for fname, ref in table.items():
            if ref == md5:
                return f"{TITLES[ds]} {fname}"
    return None


def replace_hint(path, dataset: str, fname: str) -> str:
    """The sentence that ends every integrity error: delete the file, get a good one."""
    md5 = MD5_GZ.get(dataset, {}).get(fname)
    md5_msg = f" (MD5 of the original gz: {md5})" if md5 else ""
    return f"Delete it and copy or download a good {fname}{md5_msg}."
