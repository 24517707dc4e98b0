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


def _make_dirs(directory: Path, root: Path, mode: int) -> None:
    """Create `directory` below `root` with `mode` on each folder made (not the umask's)."""
    root.mkdir(parents=True, exist_ok=True)  # ARCHIVE_ROOT itself: the operator's to set up
    missing = []
    while directory != root and not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            continue  # another worker made it meanwhile; its mode is the same
        os.chmod(folder, mode)


def save_new(folder: str, filename: str, data: bytes) -> str:
    """Store `data` under folder/filename (a suffix if taken); return the storage name.

    On a file system the bytes go to a temporary file in the same folder, are fsynced and
    then hard-linked to the final name, which fails rather than overwrite if another
    writer took the name meanwhile; so a reader never sees half a file and no file is
    ever replaced. Other storages (object storage) go through Storage.save with the
    storage's own free-name logic.
    """
    storage = archive_storage()
    folder = clean_part(folder)
    stem = filename.removesuffix(".pdf")
    if isinstance(storage, FileSystemStorage):
        mode = file_mode()
        directory = Path(storage.path(folder))
        _make_dirs(directory, Path(storage.location), dir_mode_for(mode))
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pdf", dir=directory)
        try:
            # mkstemp makes the file 0o600; the hard link below shares this mode.
            os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            for n in range(1, 1000):
                candidate = f"{stem}.pdf" if n == 1 else f"{stem} ({n}).pdf"
                try:
                    os.link(tmp, directory / candidate)
                except FileExistsError:
                    continue
                _fsync_dir(directory)
                return f"{folder}/{candidate}"
            raise FileExistsError(f"No free name for {stem} in {folder}")
        finally:
            os.unlink(tmp)
    for n in range(1, 1000):
        candidate = f"{folder}/{stem}.pdf" if n == 1 else f"{folder}/{stem} ({n}).pdf"
        if not storage.exists(candidate):
            return storage.save(candidate, ContentFile(data))
    raise FileExistsError(f"No free name for {stem} in {folder}")


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
