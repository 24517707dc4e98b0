"""Where archive files go and what they are called (ARC-2, ARC-3), written atomically.

`<office>/<Platform> <Department> <YYYY-MM-DD> <context>.pdf` in the "archive" storage,
e.g. `Kultur och fritid/Facebook Fritidsfabriken 2018-11-15 periodiskt uttag.pdf`. A file
is never overwritten or deleted by the application: when the name is taken, a suffix
" (2)", " (3)", … is added.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages

# Characters Windows file shares (the offices' shared folders) refuse, and control chars.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def archive_storage() -> Storage:
    return storages["archive"]


def clean_part(text: str) -> str:
    """Return `text` usable as one path component, åäö intact (NFC, as Windows shows it)."""
    text = unicodedata.normalize("NFC", text)
    text = _UNSAFE.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip(" .")
    return text[:120] or "namnlös"


def convention_name(*, platform: str, department: str, day: dt.date, context: str) -> str:
    """Return the file name the guideline asks for (ARC-3), with ".pdf"."""
    return clean_part(f"{platform} {department} {day:%Y-%m-%d} {context}") + ".pdf"


def file_mode() -> int:
    """Return settings.ARCHIVE_FILE_MODE: the permission bits of every archive file.

    ARC-2 "en gemensam mapp per kontor": the office share reads the files as the group, so
    the default 0o640 lets the group read; the worker's umask (often 0o077 under systemd)
    does not decide it.
    """
    return int(getattr(settings, "ARCHIVE_FILE_MODE", 0o640)) & 0o777


def dir_mode_for(mode: int) -> int:
    """Return the folder mode that goes with a file mode: search wherever read is given."""
    return mode | ((mode & 0o444) >> 2)


class ArchiveUnavailable(OSError):
    """The archive's folder (ARCHIVE_ROOT, the office share) is missing or not writable.

    Storing refuses rather than write elsewhere; the snapshot waits and is tried again
    when the share is back (archive.services.process_snapshot).
    """


def archive_storage_problem() -> str | None:
    """Return why archive files cannot be stored now, or None when they can.

    ARC-2 "en gemensam mapp per kontor": ARCHIVE_ROOT is the municipality's share, mounted
    by the operator. The product never creates it: a folder made on the local disk when
    the share is not mounted would take files the archivists never see, whose names then
    collide with the real share's. It must exist, be a folder and be writable. For
    /healthz and for the store path; None for storages that are not a file system.
    """
    storage = archive_storage()
    if not isinstance(storage, FileSystemStorage):
        return None
    root = str(storage.location)
    if not os.path.exists(root):
        return f"Arkivmappen {root} finns inte (är utdelningen monterad?)."
    if not os.path.isdir(root):
        return f"Arkivmappen {root} är ingen mapp."
    if not os.access(root, os.W_OK | os.X_OK):
        return f"Arkivmappen {root} går inte att skriva i."
    return None


def _make_dirs(directory: Path, root: Path, mode: int) -> None:
    """Create `directory` below `root` with `mode` on each folder made (not the umask's).

    The office folders are made here, inside an existing root; the root itself is the
    operator's (archive_storage_problem): ArchiveUnavailable when it is not there.
    """
    problem = archive_storage_problem()
    if problem:
        raise ArchiveUnavailable(problem)
    missing = []
    while directory != root and not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            continue  # another worker made it meanwhile; its mode is the same
        except FileNotFoundError:
            # The root went away between the check and here (the share was unmounted).
            raise ArchiveUnavailable(archive_storage_problem() or str(root)) from None
        os.chmod(folder, mode)


def candidate_names(folder: str, filename: str) -> Iterator[str]:
    """Yield the storage names a file may take: folder/filename, then " (2)", " (3)", …"""
    folder = clean_part(folder)
    stem = filename.removesuffix(".pdf")
    for n in range(1, 1000):
        yield f"{folder}/{stem}.pdf" if n == 1 else f"{folder}/{stem} ({n}).pdf"
    raise FileExistsError(f"No free name for {stem} in {folder}")


def temp_prefix(tag: str) -> str:
    """Return the name prefix of the temporary files written for `tag` (e.g. "snapshot-7").

    Named after what they belong to, so that the next attempt for the same snapshot (and
    the fixity check, for any ".tmp-" file) can tell a leftover of a killed writer.
    """
    return f".tmp-{clean_part(tag)}-"


def remove_temp_files(folder: str, tag: str) -> int:
    """Remove the temporary files an interrupted attempt for `tag` left in `folder`.

    Safe only while no other writer works for the same tag: the caller holds the
    snapshot's claim. Returns the number removed.
    """
    storage = archive_storage()
    if not isinstance(storage, FileSystemStorage):
        return 0
    directory = Path(storage.path(clean_part(folder)))
    removed = 0
    for leftover in directory.glob(temp_prefix(tag) + "*"):
        try:
            leftover.unlink()
        except FileNotFoundError:
            continue
        removed += 1
    return removed


def write_temp(folder: str, data: bytes, *, tag: str) -> Path | None:
    """Write `data` to a fsynced temporary file in `folder`, for `link_final`.

    None for storages that are not a file system (they have no hard links). The file is
    made with ARCHIVE_FILE_MODE, which the hard link shares.
    """
    storage = archive_storage()
    if not isinstance(storage, FileSystemStorage):
        return None
    mode = file_mode()
    directory = Path(storage.path(clean_part(folder)))
    _make_dirs(directory, Path(storage.location), dir_mode_for(mode))
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(tag), suffix=".pdf", dir=directory)
    try:
        # mkstemp makes the file 0o600; the hard link below shares this mode.
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


def link_final(tmp: Path | None, name: str, data: bytes) -> bool:
    """Give the written file its final storage name; False if the name is taken.

    On a file system a hard link, which fails rather than overwrite when another writer
    took the name meanwhile, so no file is ever replaced and a reader never sees half a
    file; the folder is fsynced so that the name survives a crash. Other storages (object
    storage) go through Storage.save, False when it had to pick another name.
    """
    storage = archive_storage()
    if tmp is None:
        if storage.exists(name):
            return False
        saved = storage.save(name, ContentFile(data))
        if saved != name:
            storage.delete(saved)
            return False
        return True
    try:
        os.link(tmp, storage.path(name))
    except FileExistsError:
        return False
    except FileNotFoundError:
        raise ArchiveUnavailable(archive_storage_problem() or name) from None
    _fsync_dir(tmp.parent)
    return True


def save_new(folder: str, filename: str, data: bytes) -> str:
    """Store `data` under folder/filename (a suffix if taken); return the storage name.

    For files no snapshot row reserves first (the demo data, tests); snapshots are stored
    by archive.services, which reserves the name in the database before linking.
    """
    tmp = write_temp(folder, data, tag="file")
    try:
        for candidate in candidate_names(folder, filename):
            if link_final(tmp, candidate, data):
                return candidate
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    raise FileExistsError(filename)  # pragma: no cover - candidate_names raises first


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_file(name: str) -> IO[bytes]:
    return archive_storage().open(name, "rb")


def sha256_of(name: str) -> str:
    """Recompute a stored file's SHA-256, reading it in chunks."""
    digest = hashlib.sha256()
    with open_file(name) as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def iter_chunks(name: str, size: int = 1024 * 1024) -> Iterator[bytes]:
    with open_file(name) as handle:
        yield from iter(lambda: handle.read(size), b"")
