"""Decode a folder of class sub-folders of images once, then memory-map the decoded pixels.

The folder follows torchvision's ``ImageFolder`` conventions: classes are the sorted names of the
sub-folders, label k is the k-th name, files are found recursively (``sorted(os.walk(...))``,
symbolic links followed) and sorted within each folder, and only files whose lower-cased names
end in ``IMAGE_EXTENSIONS`` count. Decoding matches torchvision's ``pil_loader`` followed by
``transforms.Resize((size, size))``: PIL ``convert("RGB")``, then PIL's antialiased bilinear
resize unless the image already has that size.

The cache, by default beside the data in ``<folder>/../.alcore-cache/`` (for ``pets/train`` at
32 px: ``pets/.alcore-cache/train-32px-<key>.npy``), is one ``.npy`` of (N, 3, size, size)
uint8 plus a ``.json`` sidecar with the format, key, class names and files. With ``cache_dir``
the files go there instead, named ``<folder name>-<hash of its absolute path>-<size>px-<key>``
so that folders of the same name do not share a cache. ``<key>`` hashes the listing (relative
path, byte size and modification time in ns of every file), the image size, Pillow's version
and ``CACHE_FORMAT``:

* Stale: any change to the listing (a file touched, added, removed or renamed) changes the key,
  so the old cache is ignored; a new one is written and the old ones of the same folder and size
  are deleted.
* Corrupt: a cache whose ``.npy`` header is unreadable, whose shape, dtype or byte length is
  wrong, or whose sidecar does not describe the current listing is never used: it is rebuilt,
  with a warning naming the file. Flipped bits inside the pixel data are not detected (that
  would mean reading every page on every load).
* Written atomically: pixels are decoded straight into a temporary ``.npy`` memory map (one copy
  in memory, not two) that is renamed into place, then the sidecar is written the same way.
  Readers require both, so an interrupted decode leaves no cache behind.
* Concurrent jobs: the first to miss the cache takes an exclusive ``flock`` on
  ``<name>-<size>px.lock`` in the cache folder and decodes; the others wait for it, then use
  its cache.
* Unwritable cache folder (a read-only data mount): the images are decoded into memory with a
  warning saying how to enable the cache; the result is the same, only slower.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import PIL
from PIL import Image

from alcore.data.errors import DatasetUnavailableError
from alcore.files.atomic import atomic_write

log = logging.getLogger(__name__)

LAYOUT = "<root>/train/<class name>/<image>.png|.jpg (and optionally <root>/test/<class name>/...)"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
CACHE_DIR_NAME = ".alcore-cache"
CACHE_FORMAT = 1  # bump when the decoding or the file layout changes: old caches become stale
PROGRESS_EVERY = 256  # images between two progress(done, total) calls

Progress = Callable[[int, int], None]


class ImageDecodeError(ValueError):
    """An image file of the folder cannot be read or decoded; the message names the file."""


@dataclass(frozen=True)
class FolderImages:
    """A decoded image folder. Row i of ``images`` is ``files[i]``, of class ``labels[i]``."""

    # (N, 3, size, size) uint8 RGB, read-only: a memory map of the cache (an array in memory
    # only when the cache folder cannot be written)
    images: np.ndarray
    labels: np.ndarray  # (N,) int64 indices into class_names
    class_names: tuple[str, ...]  # sorted sub-folder names
    files: tuple[str, ...]  # (N,) paths relative to the folder, in row order


@dataclass(frozen=True)
class _Listing:
    """The folder's image files in ImageFolder order, found without opening any image."""

    class_names: tuple[str, ...]
    files: tuple[str, ...]  # (N,) relative paths
    labels: np.ndarray  # (N,) int64
    stats: tuple[tuple[int, int], ...]  # (N,) (byte size, mtime in ns); empty when not asked for


@dataclass(frozen=True)
class _CacheFiles:
    """Where the cache of one folder at one image size lives."""

    directory: Path
    prefix: str  # "<ident>-<size>px": shared by every key of this folder and size
    key: str

    @property
    def array(self) -> Path:
        return self.directory / f"{self.prefix}-{self.key}.npy"

    @property
    def sidecar(self) -> Path:
        return self.directory / f"{self.prefix}-{self.key}.json"

    @property
    def lock(self) -> Path:
        return self.directory / f"{self.prefix}.lock"


class _CorruptCacheError(Exception):
    """The cache files exist but cannot be trusted; the message names the file and the fault."""


def folder_labels(folder: Path) -> tuple[np.ndarray, tuple[str, ...]]:
    """Labels (N,) int64 and class names of ``folder``'s images, from the listing alone.

    Rows are in the order `load_image_folder` returns them; no image is opened.
    """
    listing = _list_folder(Path(folder), with_stats=False)
    return listing.labels, listing.class_names


def load_image_folder(
    folder: Path,
    size: int,
    *,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> FolderImages:
    """Decode ``folder/<class>/<image>`` to (N, 3, size, size) uint8 RGB, through the cache.

    The first call (or the first after the folder changed) decodes every image and writes the
    cache, calling ``progress(done, total)`` every few hundred images; later calls list the folder
    and memory-map the cache. See the module docstring for where the cache lives.
    """
    if size < 1:
        raise ValueError(f"image size must be at least 1 pixel, got size={size}")
    folder = Path(folder)
    listing = _list_folder(folder, with_stats=True)
    files = _cache_files(folder, size, _listing_key(listing, size), cache_dir)

    with contextlib.suppress(_CorruptCacheError):  # judged again below, under the lock
        images = _open_cache(files, listing, size)
        if images is not None:
            return _result(images, listing)

    lock = _try_lock(files.lock)
    if lock is None:  # cannot write there: still give the right answer, slowly
        images = np.empty((len(listing.files), 3, size, size), dtype=np.uint8)
        _decode_into(images, folder, listing.files, size, progress)
        images.flags.writeable = False  # the same contract as the memory map
        return _result(images, listing)
    with lock:  # closing the file releases the lock
        images = _reopen_or_build(files, folder, listing, size, progress)
    return _result(images, listing)


def _result(images: np.ndarray, listing: _Listing) -> FolderImages:
    return FolderImages(images, listing.labels, listing.class_names, listing.files)


def _reopen_or_build(
    files: _CacheFiles, folder: Path, listing: _Listing, size: int, progress: Progress | None
) -> np.ndarray:
    """With the lock held: use a cache another process wrote meanwhile, or write it."""
    try:
        images = _open_cache(files, listing, size)
    except _CorruptCacheError as err:
        log.warning("%s; decoding the images again to rebuild it", err)
        images = None
    if images is not None:
        return images
    log.info("decoding %d images of %s into %s", len(listing.files), folder, files.array)
    _write_cache(files, folder, listing, size, progress)
    _remove_stale(files)
    try:
        images = _open_cache(files, listing, size)
    except _CorruptCacheError as err:
        images = None
        reason = str(err)
    else:
        reason = "it vanished"
    if images is None:
        raise OSError(
            f"the image cache {files.array} just written cannot be read back ({reason}); "
            "check the disk, delete the file and rerun"
        )
    return images


# --- listing -------------------------------------------------------------------------------


def _list_folder(folder: Path, *, with_stats: bool) -> _Listing:
    """Find the images of ``folder/<class>/`` in ImageFolder's order, optionally with stat()."""
    if not folder.is_dir():
        raise DatasetUnavailableError(
            f"dataset 'imagefolder': folder {folder.resolve()}/ does not exist. Put your images "
            f"there laid out as {LAYOUT}, or point the `root` option at the folder that holds "
            "train/."
        )
    with os.scandir(folder) as entries:
        class_names = tuple(sorted(e.name for e in entries if e.is_dir()))
    if not class_names:
        raise DatasetUnavailableError(
            f"dataset 'imagefolder': {folder.resolve()}/ holds no class sub-folders. "
            f"Lay it out as {LAYOUT}."
        )
    files: list[str] = []
    labels: list[int] = []
    stats: list[tuple[int, int]] = []
    empty: list[str] = []
    for label, name in enumerate(class_names):
        before = len(files)
        # exactly torchvision's make_dataset walk, so rows keep the order of the old loader
        for root, _, names in sorted(os.walk(folder / name, followlinks=True)):
            # plain concatenation: os.path.join per file is most of a 50,000-file listing
            relative_root = os.path.relpath(root, folder) + os.sep
            absolute_root = root + os.sep
            for file_name in sorted(names):
                if not file_name.lower().endswith(IMAGE_EXTENSIONS):
                    continue
                files.append(relative_root + file_name)
                labels.append(label)
                if with_stats:
                    stats.append(_stat(absolute_root + file_name))
        if len(files) == before:
            empty.append(name)
    if empty:
        raise DatasetUnavailableError(
            f"dataset 'imagefolder': class folder(s) {empty} of {folder.resolve()}/ hold no "
            f"images (files ending in {', '.join(IMAGE_EXTENSIONS)}). Add images to them or "
            f"remove them; the layout is {LAYOUT}."
        )
    return _Listing(class_names, tuple(files), np.asarray(labels, dtype=np.int64), tuple(stats))


def _stat(path: str) -> tuple[int, int]:
    try:
        status = os.stat(path)
    except OSError as err:  # typically a broken symbolic link
        raise DatasetUnavailableError(
            f"dataset 'imagefolder': cannot read {path} ({err.strerror}). Fix or delete it."
        ) from err
    return status.st_size, status.st_mtime_ns


def _listing_key(listing: _Listing, size: int) -> str:
    """16 hex digits naming this exact listing decoded at ``size`` by this code and Pillow."""
    digest = hashlib.sha256()
    header = [CACHE_FORMAT, PIL.__version__, size, list(listing.class_names)]
    digest.update(json.dumps(header).encode())
    rows = (f"{f}\0{n}\0{t}\n" for f, (n, t) in zip(listing.files, listing.stats, strict=True))
    digest.update("".join(rows).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:16]


def _cache_files(folder: Path, size: int, key: str, cache_dir: Path | None) -> _CacheFiles:
    absolute = Path(os.path.abspath(folder))  # normalises "." and ".." without following links
    if cache_dir is None:
        # beside the data, keyed by the folder name alone: moving the data with its cache
        # (mtimes kept) keeps the cache valid
        return _CacheFiles(absolute.parent / CACHE_DIR_NAME, f"{absolute.name}-{size}px", key)
    where = hashlib.sha256(os.fsencode(absolute)).hexdigest()[:8]
    return _CacheFiles(Path(cache_dir), f"{absolute.name}-{where}-{size}px", key)


# --- reading the cache ----------------------------------------------------------------------


def _open_cache(files: _CacheFiles, listing: _Listing, size: int) -> np.ndarray | None:
    """The cache as a read-only (N, 3, size, size) uint8 memmap; None if not (fully) written.

    Raises `_CorruptCacheError` when the files exist but do not hold what the listing needs.
    """
    if not (files.array.is_file() and files.sidecar.is_file()):
        return None  # the sidecar is written last: without it the cache is not finished
    for path in (files.array, files.sidecar):
        if not os.access(path, os.R_OK):  # not corrupt, just not ours: rebuilding would not help
            raise PermissionError(
                f"cannot read the image cache {path}: ask its owner to make it readable, or "
                "pass cache_dir= a folder of your own"
            )
    _check_sidecar(files, listing, size)
    expected = (len(listing.files), 3, size, size)
    offset = _check_array_header(files.array, expected)
    actual = files.array.stat().st_size
    if actual != offset + int(np.prod(expected)):
        raise _CorruptCacheError(
            f"the image cache {files.array} is {actual} bytes, not the "
            f"{offset + int(np.prod(expected))} its header promises (truncated?)"
        )
    images: np.ndarray = np.load(files.array, mmap_mode="r")
    return images


def _check_sidecar(files: _CacheFiles, listing: _Listing, size: int) -> None:
    try:
        meta = json.loads(files.sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise _CorruptCacheError(
            f"the image cache sidecar {files.sidecar} is unreadable ({err})"
        ) from err
    expected = _sidecar(files, listing, size)
    if not isinstance(meta, dict) or any(meta.get(k) != v for k, v in expected.items()):
        raise _CorruptCacheError(
            f"the image cache sidecar {files.sidecar} does not describe the folder's current files"
        )


def _check_array_header(path: Path, shape: tuple[int, ...]) -> int:
    """Check the .npy header of ``path`` promises C-ordered uint8 ``shape``; the data offset."""
    try:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                header = np.lib.format.read_array_header_1_0(handle)
            elif version == (2, 0):
                header = np.lib.format.read_array_header_2_0(handle)
            else:
                raise ValueError(f"unexpected .npy format version {version}")
            offset = handle.tell()
    except (OSError, ValueError, SyntaxError) as err:
        raise _CorruptCacheError(
            f"the image cache {path} has an unreadable header ({err})"
        ) from err
    found_shape, fortran_order, dtype = header
    if tuple(found_shape) != shape or fortran_order or dtype != np.dtype(np.uint8):
        raise _CorruptCacheError(
            f"the image cache {path} holds {dtype} {tuple(found_shape)}"
            f"{' (Fortran order)' if fortran_order else ''}, expected uint8 {shape}"
        )
    return offset


def _sidecar(files: _CacheFiles, listing: _Listing, size: int) -> dict[str, Any]:
    """What the sidecar of this cache must say (JSON types, so it compares equal on reading)."""
    return {
        "format": CACHE_FORMAT,
        "key": files.key,
        "image_size": size,
        "pillow": PIL.__version__,
        "class_names": list(listing.class_names),
        "files": list(listing.files),
    }


# --- writing the cache ----------------------------------------------------------------------


def _try_lock(path: Path) -> BinaryIO | None:
    """Open ``path`` holding an exclusive flock; None (with a warning) if it cannot be created.

    The lock file is never deleted: deleting it would let two processes lock different files.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+b")  # noqa: SIM115 -- the caller closes it to unlock
    except OSError as err:
        log.warning(
            "cannot write the image cache in %s (%s): decoding the images into memory instead, "
            "which repeats on every load. Make that folder writable or pass a writable "
            "cache_dir.",
            path.parent,
            err,
        )
        return None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log.info("waiting for another process that is writing the image cache (%s)", path)
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    except BaseException:
        handle.close()
        raise
    return handle


def _write_cache(
    files: _CacheFiles, folder: Path, listing: _Listing, size: int, progress: Progress | None
) -> None:
    """Decode every image into the cache's .npy, then write the sidecar that completes it."""
    shape = (len(listing.files), 3, size, size)
    with atomic_write(files.array) as temporary:
        out = np.lib.format.open_memmap(temporary, mode="w+", dtype=np.uint8, shape=shape)
        try:
            _reserve(temporary, out.offset + out.nbytes)
            _decode_into(out, folder, listing.files, size, progress)
            out.flush()  # msync before the rename makes the file visible under its real name
        finally:
            del out  # unmap before atomic_write renames or deletes the file
        _share(temporary)
    with atomic_write(files.sidecar) as temporary:
        temporary.write_text(json.dumps(_sidecar(files, listing, size)), encoding="utf-8")
        _share(temporary)


def _share(path: Path) -> None:
    """Give ``path`` the mode of a plainly created file instead of mkstemp's owner-only 0600.

    Others who can read the data folder can then read its cache rather than rebuild it.
    """
    umask = os.umask(0o022)  # reading the umask means setting it; restored at once
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _reserve(path: Path, nbytes: int) -> None:
    """Allocate the file's blocks now: writing a sparse memmap on a full disk kills by SIGBUS."""
    allocate = getattr(os, "posix_fallocate", None)  # absent on macOS
    if allocate is None:
        return
    with open(path, "r+b") as handle:
        try:
            allocate(handle.fileno(), 0, nbytes)
        except OSError as err:
            if err.errno in (errno.ENOSPC, errno.EDQUOT):
                raise OSError(
                    err.errno,
                    f"not enough disk space for the image cache ({nbytes / 1e9:.2f} GB) in "
                    f"{path.parent}: free some space there or pass cache_dir= a folder that has it",
                ) from err
            # EOPNOTSUPP or EINVAL: the file system cannot preallocate; write sparsely


def _decode_into(
    out: np.ndarray,
    folder: Path,
    files: Sequence[str],
    size: int,
    progress: Progress | None,
) -> None:
    """Fill ``out`` (N, 3, size, size) uint8 with the decoded ``folder / files[i]``."""
    total = len(files)
    if progress is not None:
        progress(0, total)
    for i, name in enumerate(files):
        out[i] = decode_image(folder / name, size).transpose(2, 0, 1)  # (size, size, 3) -> CHW
        done = i + 1
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)


def decode_image(path: Path, size: int) -> np.ndarray:
    """(size, size, 3) uint8 RGB: torchvision's ``pil_loader`` then ``Resize((size, size))``.

    Raises `ImageDecodeError` naming ``path`` when the file cannot be read or decoded.
    """
    try:
        with open(path, "rb") as handle:
            image = Image.open(handle).convert("RGB")
        if image.size != (size, size):  # torchvision returns an image of the right size as is
            image = image.resize((size, size), Image.Resampling.BILINEAR)  # antialiased in PIL
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as err:
        raise ImageDecodeError(
            f"cannot decode the image {path} ({type(err).__name__}: {err}). Replace or delete "
            "the file, then rerun."
        ) from err
    return np.asarray(image)


def _remove_stale(files: _CacheFiles) -> None:
    """Delete this folder's caches of the same size under other keys, and their temporaries.

    Called with the lock held, so no other process is writing any of them.
    """
    pattern = re.compile(
        rf"\.?{re.escape(files.prefix)}-[0-9a-f]{{16}}\.(npy|json)(\..+\.tmp)?", re.DOTALL
    )
    keep = {files.array.name, files.sidecar.name}
    with os.scandir(files.directory) as entries:
        stale = [e.path for e in entries if e.name not in keep and pattern.fullmatch(e.name)]
    for path in stale:
        log.info("removing the stale image cache %s", path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
