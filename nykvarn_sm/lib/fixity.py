"""Read a stored file once into a copy while hashing it: the bytes served are the bytes checked.

A download must never serve a file whose bytes no longer match its recorded SHA-256 (issue
9). Hashing while streaming is too late: the headers and most of the bytes are out before
the last chunk is hashed. So the file is read and hashed first into a spooled copy (kept in
memory up to `max_memory`, then on a temporary file), and that copy is what is sent, so a
file swapped between the check and the download changes nothing.
"""

from __future__ import annotations

import hashlib
import tempfile
from typing import IO

CHUNK = 1024 * 1024


def hashed_copy(source: IO[bytes], *, max_memory: int = 32 * CHUNK) -> tuple[IO[bytes], str]:
    """Copy `source` to a spooled temporary file; return it (at position 0) and its SHA-256."""
    digest = hashlib.sha256()
    copy = tempfile.SpooledTemporaryFile(max_size=max_memory)  # noqa: SIM115 - returned open
    try:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            copy.write(chunk)
    except BaseException:
        copy.close()
        raise
    copy.seek(0)
    return copy, digest.hexdigest()  # type: ignore[return-value]
