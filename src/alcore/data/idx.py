"""MNIST, Fashion-MNIST and KMNIST from their IDX files: train split = pool, t10k split = test.

The IDX format (the MNIST files' own): a 4-byte magic number ``0x00 0x00 <dtype> <rank>``,
``rank`` big-endian uint32 dimensions, then the values, row-major. These datasets store unsigned
bytes (dtype ``0x08``): images of rank 3 (N, 28, 28) and labels of rank 1 (N,). A file is read
raw or gzip-compressed (by its ``.gz`` suffix) and must hold exactly the bytes its header
promises: a truncated (a partial copy or download) or over-long file is refused, naming it.

Where the files are looked for, first found first (each file raw or ``.gz``; raw preferred):

1. ``<data_dir>/<name>/`` (``mnist/``, ``fashion_mnist/``, ``kmnist/``),
2. ``<data_dir>/<TorchvisionClass>/raw/`` (``MNIST/raw/``, ...), where torchvision downloads them,
3. for ``fashion_mnist``, ``/usr/share/datasets/fashion-mnist/`` (Debian's
   ``dataset-fashion-mnist`` package).

``download: true`` lets torchvision fetch them into (2) when none is found. The sizes
(:func:`idx_facts`) come from the four headers alone and are torch-free, so the workflow's
pre-job checks refuse missing or damaged files before any job. Rows keep the files' order:
pool item ``i`` is the ``i``-th training image.
"""

from __future__ import annotations

import gzip
import io
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from alcore.catalog.datasets import Facts
from alcore.data.errors import DatasetUnavailableError
from alcore.data.options import resolve_options

if TYPE_CHECKING:
    from alcore.data.bundle import DatasetBundle

UBYTE = 0x08  # the IDX dtype code of unsigned bytes, the only one these datasets use
SIDE = 28  # image height and width
NUM_CLASSES = 10
SPLITS = (("train", "pool"), ("t10k", "test"))  # file prefix, bundle split
_CHUNK = 1 << 20  # bytes per read when a gzip stream is counted


@dataclass(frozen=True)
class IdxSource:
    """One dataset of the family: its names, where its files may lie and where they come from."""

    torchvision_class: str  # torchvision.datasets class; it downloads into <root>/<class>/raw/
    class_names: tuple[str, ...]  # label k = class_names[k]
    archive: str  # where the official .gz files are published
    system_folder: Path | None = None  # where a system package installs them
    apt_package: str | None = None  # that package


FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")  # fmt: skip
SOURCES: dict[str, IdxSource] = {
    "mnist": IdxSource(
        "MNIST",
        tuple(str(d) for d in range(10)),
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
    ),
    "fashion_mnist": IdxSource(
        "FashionMNIST",
        FASHION_CLASSES,
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        system_folder=Path("/usr/share/datasets/fashion-mnist"),
        apt_package="dataset-fashion-mnist",
    ),
    "kmnist": IdxSource(
        "KMNIST",
        ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
        "http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
    ),
}

# name -> torchvision class that downloads the files; filled on first use (torchvision is slow to
# import) and replaceable by tests
DOWNLOAD_CLASSES: dict[str, type[Any]] = {}


# --- the IDX format -------------------------------------------------------------------------


@dataclass(frozen=True)
class IdxHeader:
    """An IDX file's header, checked against the file's size."""

    path: Path
    dims: tuple[int, ...]  # e.g. (60000, 28, 28)

    @property
    def offset(self) -> int:
        """Bytes before the data: the magic number and one uint32 per dimension."""
        return 4 + 4 * len(self.dims)

    @property
    def data_bytes(self) -> int:
        """Bytes of data the header promises (one byte a value)."""
        return math.prod(self.dims)


def _open(path: Path) -> io.BufferedIOBase:
    if path.suffix == ".gz":
        return gzip.GzipFile(path, "rb")
    return open(path, "rb")


def _read_exactly(stream: io.BufferedIOBase, n: int) -> bytes:
    """Up to ``n`` bytes; fewer only at the end of the stream."""
    data = b""
    while len(data) < n:
        more = stream.read(n - len(data))
        if not more:
            break
        data += more
    return data


def _damaged(path: Path, problem: str) -> ValueError:
    return ValueError(
        f"{path} {problem}; the file is damaged (a partial copy or download, or not the "
        "official file): delete it and get it again"
    )


def _parse_header(path: Path, stream: io.BufferedIOBase, rank: int | None) -> IdxHeader:
    magic = _read_exactly(stream, 4)
    if len(magic) < 4:
        raise _damaged(path, f"ends inside the IDX header ({len(magic)} bytes)")
    if magic[:2] == b"\x1f\x8b":
        raise ValueError(
            f"{path} is gzip-compressed but its name does not end in .gz; rename it to "
            f"{path.name}.gz (or gunzip it)"
        )
    expected = f"00 00 08 0{rank}" if rank is not None else "00 00 08 <rank>"
    if magic[:2] != b"\x00\x00" or magic[2] != UBYTE or (rank is not None and magic[3] != rank):
        raise ValueError(
            f"{path} is not an IDX file of unsigned bytes{f' and rank {rank}' if rank else ''}: "
            f"its magic number is {magic.hex(' ')}, expected {expected}; check that the file is "
            "the one its name says (images have rank 3, labels rank 1)"
        )
    found_rank = magic[3]
    if found_rank == 0:
        raise ValueError(f"{path}: the IDX header gives rank 0 (no dimensions)")
    raw_dims = _read_exactly(stream, 4 * found_rank)
    if len(raw_dims) < 4 * found_rank:
        raise _damaged(path, "ends inside the IDX header's dimensions")
    dims = tuple(int(d) for d in np.frombuffer(raw_dims, dtype=">u4"))
    if any(d == 0 for d in dims):
        raise ValueError(f"{path}: the IDX header gives dimensions {dims}, one of them 0")
    return IdxHeader(path, dims)


def _size_problem(header: IdxHeader, held: int) -> str | None:
    """Why ``held`` data bytes do not match the header, or None when they do."""
    promised = header.data_bytes
    if held < promised:
        return (
            f"is truncated: its header promises {promised} bytes of data for dimensions "
            f"{header.dims}, the file holds {held}"
        )
    if held > promised:
        return (
            f"is over-long: its header promises {promised} bytes of data for dimensions "
            f"{header.dims}, the file holds {held} ({held - promised} bytes too many)"
        )
    return None


def _gzip_payload_bytes(path: Path) -> int:
    """The uncompressed size of a gzip file, by decompressing it (no copy is kept)."""
    total = 0
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
    except (EOFError, OSError, zlib.error) as error:  # truncated stream, bad CRC, bad data
        raise _damaged(path, f"is not a complete gzip stream ({error})") from None
    return total


def _check_size(header: IdxHeader) -> None:
    """The file holds exactly the header's bytes: from its size (raw), or gzip's size trailer
    (which a complete single-member stream ends with); a stream whose trailer disagrees is
    decompressed and counted."""
    path = header.path
    if path.suffix != ".gz":
        problem = _size_problem(header, path.stat().st_size - header.offset)
    else:
        total = header.offset + header.data_bytes
        with open(path, "rb") as raw:
            raw.seek(0, 2)
            if raw.tell() >= 18:  # the smallest gzip stream
                raw.seek(-4, 2)
                if int.from_bytes(raw.read(4), "little") == total % (1 << 32):
                    return
        problem = _size_problem(header, _gzip_payload_bytes(path) - header.offset)
    if problem is not None:
        raise _damaged(path, problem)


def read_idx_header(path: str | Path, *, rank: int | None = None) -> IdxHeader:
    """The dimensions of an IDX file of unsigned bytes without reading its data.

    A ``.gz`` file is read through gzip for its first bytes only; whether it holds exactly the
    promised bytes is read from gzip's size trailer (the stream is decompressed only when the
    trailer disagrees, to say by how much).

    Raises:
        FileNotFoundError: no such file.
        ValueError: naming the file: a bad magic number (not unsigned bytes, not ``rank``),
            a truncated or over-long file, a damaged gzip stream.
    """
    path = Path(path)
    try:
        with _open(path) as stream:
            header = _parse_header(path, stream, rank)
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise _damaged(path, f"is not a readable gzip stream ({error})") from None
    _check_size(header)
    return header


def read_idx(path: str | Path, *, rank: int | None = None) -> np.ndarray:
    """An IDX file of unsigned bytes (raw or ``.gz``) as a writable uint8 array of its dims.

    Raises:
        FileNotFoundError: no such file.
        ValueError: naming the file, as :func:`read_idx_header`.
    """
    path = Path(path)
    header = read_idx_header(path, rank=rank)  # the size is checked before memory is taken
    array = np.empty(header.dims, dtype=np.uint8)
    view = array.data.cast("B")
    try:
        with _open(path) as stream:
            _read_exactly(stream, header.offset)
            filled = 0
            while filled < header.data_bytes:  # in slices: gzip's readinto copies via a bytes
                got = stream.readinto(view[filled : filled + 8 * _CHUNK])
                if not got:
                    break
                filled += got
            extra = len(stream.read(_CHUNK))  # reaching the end checks gzip's CRC too
    except (EOFError, OSError, zlib.error) as error:
        raise _damaged(path, f"could not be read to its end ({error})") from None
    problem = _size_problem(header, filled + extra)
    if problem is not None:  # the file changed since its header was read
        raise _damaged(path, problem)
    return array


# --- finding the files ----------------------------------------------------------------------


def file_names(split: str) -> tuple[str, str]:
    """The standard (images, labels) file names of ``split`` ("train" or "t10k"), no suffix."""
    return f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte"


ALL_FILES = tuple(name for split, _ in SPLITS for name in file_names(split))


def folders(name: str, data_dir: str | Path) -> tuple[Path, ...]:
    """Where ``name``'s files are looked for, in order."""
    source = SOURCES[name]
    data_dir = Path(data_dir)
    found = [data_dir / name, data_dir / source.torchvision_class / "raw"]
    if source.system_folder is not None:
        found.append(source.system_folder)
    return tuple(found)


def _in_folder(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """The files found in ``folder`` (raw preferred over .gz) and the names missing there."""
    found: dict[str, Path] = {}
    missing = []
    for base in ALL_FILES:
        for candidate in (folder / base, folder / f"{base}.gz"):
            if candidate.is_file():
                found[base] = candidate
                break
        else:
            missing.append(base)
    return found, missing


def how_to_get(name: str, data_dir: str | Path) -> str:
    """The routes to ``name``'s files, for messages."""
    source = SOURCES[name]
    data_dir = Path(data_dir).resolve()
    routes = []
    if source.apt_package is not None:
        routes.append(
            f"`apt-get install {source.apt_package}` (Debian/Ubuntu; it puts them in "
            f"{source.system_folder}/)"
        )
    routes.append(
        "set `download: true` in the config and run once on a machine with internet access "
        f"(torchvision fetches them into {data_dir / source.torchvision_class / 'raw'}/)"
    )
    routes.append(
        f"copy the four files from {source.archive} (.gz or unpacked) into {data_dir / name}/"
    )
    return "; or ".join(routes)


def _unavailable(name: str, data_dir: Path, reason: str) -> DatasetUnavailableError:
    return DatasetUnavailableError(
        f"dataset {name!r} is not available: {reason}. To get the files, "
        f"{how_to_get(name, data_dir)}"
    )


def _refused(name: str, data_dir: str | Path, error: ValueError) -> ValueError:
    """A file's problem, with the dataset's routes to good files."""
    return ValueError(
        f"dataset {name!r}: {error}. To get the files again, {how_to_get(name, data_dir)}"
    )


def find_files(name: str, data_dir: str | Path) -> dict[str, Path]:
    """The four files of the first folder of :func:`folders` that holds them all.

    Raises:
        DatasetUnavailableError: no folder holds all four; the message names every place looked,
            what each lacks, and the routes to the files.
    """
    data_dir = Path(data_dir)
    looked = []
    for folder in folders(name, data_dir):
        found, missing = _in_folder(folder)
        if not missing:
            return found
        what = "does not exist" if not folder.is_dir() else f"lacks {', '.join(missing)}"
        looked.append(f"{folder.resolve()}/ ({what})")
    reason = (
        f"no folder holds its four IDX files ({', '.join(ALL_FILES)}, each raw or .gz); "
        f"looked in {'; '.join(looked)}"
    )
    raise _unavailable(name, data_dir, reason)


def download_class(name: str) -> type[Any]:
    """The torchvision class that downloads ``name``'s files."""
    if name not in DOWNLOAD_CLASSES:
        from torchvision.datasets import KMNIST, MNIST, FashionMNIST

        DOWNLOAD_CLASSES.update({"mnist": MNIST, "fashion_mnist": FashionMNIST, "kmnist": KMNIST})
    return DOWNLOAD_CLASSES[name]


def idx_files(name: str, data_dir: str | Path, *, download: bool) -> dict[str, Path]:
    """:func:`find_files`; when none are found and ``download``, torchvision fetches them first
    (into ``<data_dir>/<TorchvisionClass>/raw/``, md5 sums checked)."""
    try:
        return find_files(name, data_dir)
    except DatasetUnavailableError:
        if not download:
            raise
    cls = download_class(name)
    try:  # the test split: the smaller one torchvision reads after downloading all four files
        cls(root=str(data_dir), train=False, download=True)
    except (RuntimeError, OSError) as error:  # torchvision: every mirror failed, a bad md5
        raise _unavailable(
            name, Path(data_dir), f"downloading with torchvision failed ({error})"
        ) from error
    return find_files(name, data_dir)


# --- the datasets ---------------------------------------------------------------------------


def _split_headers(name: str, files: Mapping[str, Path], split: str) -> tuple[IdxHeader, IdxHeader]:
    """The images' and labels' headers of ``split``, shapes and counts checked."""
    images_name, labels_name = file_names(split)
    images = read_idx_header(files[images_name], rank=3)
    labels = read_idx_header(files[labels_name], rank=1)
    if images.dims[1:] != (SIDE, SIDE):
        raise ValueError(
            f"{images.path}: images of {images.dims[1]}x{images.dims[2]} pixels, but {name} "
            f"images are {SIDE}x{SIDE}; check that the file is {name}'s {images_name}"
        )
    if labels.dims[0] != images.dims[0]:
        raise ValueError(
            f"{labels.path} holds {labels.dims[0]} labels but {images.path} holds "
            f"{images.dims[0]} images; the two files must come from the same release"
        )
    return images, labels


def idx_facts(name: str, options: Mapping[str, object], data_dir: str | Path) -> Facts:
    """Pool and test sizes from the four files' headers (torch-free, no image is read).

    Raises:
        DatasetUnavailableError: the files are missing (the message names every place looked).
        ValueError: a header or a file size is wrong (the message names the file).
    """
    files = find_files(name, data_dir)
    try:
        n_pool = _split_headers(name, files, "train")[0].dims[0]
        n_test = _split_headers(name, files, "t10k")[0].dims[0]
    except ValueError as error:
        raise _refused(name, data_dir, error) from None
    return Facts(n_pool, n_test, (1, SIDE, SIDE), SIDE * SIDE)  # uint8 pixels


def check_idx_files(
    name: str, options: Mapping[str, object], data_dir: Path, download: bool, scan: bool
) -> None:
    """The catalogue's check: the four IDX files found, their headers and sizes sound, with the
    loader's messages. With ``download``, missing files are fetched here, once, before any job:
    the first job reads the pool size from their headers."""
    if download:
        idx_files(name, data_dir, download=True)
    idx_facts(name, options, data_dir)


def read_split(name: str, files: Mapping[str, Path], split: str) -> tuple[np.ndarray, np.ndarray]:
    """``split``'s images (N, 1, 28, 28) uint8 and labels (N,) int64, every check made."""
    _split_headers(name, files, split)
    images_name, labels_name = file_names(split)
    images = read_idx(files[images_name], rank=3)
    labels = read_idx(files[labels_name], rank=1)
    if labels.size and int(labels.max()) >= NUM_CLASSES:
        first = int(np.argmax(labels >= NUM_CLASSES))
        raise ValueError(
            f"{files[labels_name]}: label {int(labels[first])} at row {first}, but {name} has "
            f"{NUM_CLASSES} classes (labels 0..{NUM_CLASSES - 1}); check that the file is "
            f"{name}'s {labels_name}"
        )
    return images.reshape(-1, 1, SIDE, SIDE), labels.astype(np.int64)


def load_idx(
    name: str, *, data_dir: Path, download: bool, options: Mapping[str, object]
) -> DatasetBundle:
    """Load ``mnist``, ``fashion_mnist`` or ``kmnist`` as a `DatasetBundle`.

    Returns pool inputs (60000, 1, 28, 28) and test inputs (10000, 1, 28, 28) for the official
    files, uint8, normalised per batch with the pool's (the train split's) pixel mean and std;
    labels int64 in 0..9.
    """
    import torch  # here: the facts above are read by torch-free jobs

    from alcore.data.bundle import DatasetBundle
    from alcore.data.normalise import pixel_stats

    resolve_options(name, options)
    files = idx_files(name, data_dir, download=download)
    try:
        pool_x, pool_y = read_split(name, files, "train")
        test_x, test_y = read_split(name, files, "t10k")
    except ValueError as error:
        raise _refused(name, data_dir, error) from None
    mean, std = pixel_stats(pool_x)  # the train split's, as CIFAR's fixed statistics are
    names = SOURCES[name].class_names
    return DatasetBundle(
        name=name,
        pool_inputs=torch.from_numpy(pool_x),
        pool_labels=torch.from_numpy(pool_y),
        test_inputs=torch.from_numpy(test_x),
        test_labels=torch.from_numpy(test_y),
        num_classes=len(names),
        input_shape=(1, SIDE, SIDE),
        class_names=names,
        pixel_mean=mean,
        pixel_std=std,
    )
