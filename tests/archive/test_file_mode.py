"""Archive files are readable by the group that the offices' shared folder gives access to
(ARC-2 "en gemensam mapp per kontor"): ARCHIVE_FILE_MODE, whatever the worker's umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from django.core.files.storage import storages

from archive.storage import dir_mode_for, save_new


@pytest.fixture
def strict_umask():
    old = os.umask(0o077)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_and_folders_get_the_configured_mode(settings, strict_umask):
    settings.ARCHIVE_FILE_MODE = 0o640
    name = save_new(
        "Kultur och fritid", "Facebook Fritidsfabriken 2026-01-15 manuellt.pdf", b"%PDF"
    )
    path = Path(storages["archive"].path(name))
    assert _mode(path) == 0o640
    assert _mode(path.parent) == 0o750
    # A name taken gets a suffix; the second file gets the same mode.
    second = save_new("Kultur och fritid", path.name, b"%PDF-2")
    assert _mode(Path(storages["archive"].path(second))) == 0o640


def test_a_stricter_mode_is_kept(settings, strict_umask):
    settings.ARCHIVE_FILE_MODE = 0o600
    name = save_new("Vård och omsorg", "Instagram Hemtjänsten 2026-01-15 manuellt.pdf", b"%PDF")
    path = Path(storages["archive"].path(name))
    assert (_mode(path), _mode(path.parent)) == (0o600, 0o700)


def test_folder_mode_follows_the_file_mode():
    assert [dir_mode_for(m) for m in (0o640, 0o644, 0o600, 0o660)] == [
        0o750,
        0o755,
        0o700,
        0o770,
    ]
