"""Evidence files are stored before the chain is locked, stay covered by the record's hash,
and are removed again when the log's transaction fails (MOD-1)."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from moderation import services
from moderation.models import ChainHead, Evidence, RemovedPost
from tests.moderation.conftest import make_incoming, make_removal

pytestmark = pytest.mark.django_db

DATA = b"\x89PNG screenshot of the removed comment"


def _shot(name: str = "skarmdump.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, DATA, "image/png")


def _stored_files() -> list[str]:
    try:
        _dirs, files = default_storage.listdir("moderation/evidence")
    except FileNotFoundError:
        return []
    names = []
    for sub in _dirs:
        names += default_storage.listdir(f"moderation/evidence/{sub}")[1]
    return names + files


def test_evidence_sha256_is_part_of_the_record_hash(account_a, operator):
    record = make_removal(account_a, operator, evidence=[_shot()])
    sha = hashlib.sha256(DATA).hexdigest()
    evidence = Evidence.objects.get(removed_post=record)
    assert evidence.sha256 == sha and evidence.size == len(DATA)
    assert evidence.file.name.startswith(f"moderation/evidence/{sha[:2]}/{sha}")
    assert evidence.file.read() == DATA
    record = RemovedPost.objects.select_related("chain", "reason").get(pk=record.pk)
    assert record.compute_hash(list(record.evidence.all())) == record.record_hash
    assert record.compute_hash([]) != record.record_hash
    assert services.verify_chain().ok


def test_corrections_hash_their_new_evidence(account_a, operator):
    record = make_removal(account_a, operator)
    fixed = services.correct_removal(
        by=operator, record=record, correction_note="Skärmdump", changes={}, evidence=[_shot()]
    )
    fixed = RemovedPost.objects.select_related("chain", "reason").get(pk=fixed.pk)
    assert fixed.compute_hash(list(fixed.evidence.all())) == fixed.record_hash
    assert services.verify_chain().ok


def test_files_are_written_before_the_chain_is_locked(account_a, operator, monkeypatch):
    """The disk write happens outside any transaction the service opens: the test's own
    transaction is the only one open, and no record or chain position exists yet."""
    seen = []
    real_save = FileSystemStorage._save

    def spy(self, name, content):
        seen.append(
            (
                list(connection.savepoint_ids),
                RemovedPost.objects.count(),
                ChainHead.objects.filter(position__gt=0).count(),
            )
        )
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", spy)
    baseline = list(connection.savepoint_ids)
    make_removal(account_a, operator, evidence=[_shot("a.png"), _shot("b.png")])
    assert seen == [(baseline, 0, 0), (baseline, 0, 0)]


def _refuse(**kwargs):
    raise RuntimeError("audit log unavailable")


def test_a_failed_transaction_removes_the_files_it_stored(account_a, operator, monkeypatch):
    monkeypatch.setattr(services.AuditEvent, "record", _refuse)
    with pytest.raises(RuntimeError):
        make_removal(account_a, operator, evidence=[_shot("a.png"), _shot("b.png")])
    assert not RemovedPost.objects.exists() and not Evidence.objects.exists()
    assert _stored_files() == []


def test_a_refused_unpublish_leaves_no_file(account_a, operator):
    item = make_incoming(account_a, operator, kind="comment")
    make_removal(account_a, operator, incoming=item)
    with pytest.raises(ValueError):
        make_removal(account_a, operator, incoming=item, evidence=[_shot()])
    assert Evidence.objects.count() == 0 and _stored_files() == []


def test_a_failure_keeps_the_files_of_earlier_records(account_a, operator, monkeypatch):
    """Identical bytes uploaded earlier got their own file; a later failure deletes only
    its own."""
    kept = make_removal(account_a, operator, evidence=[_shot()])
    monkeypatch.setattr(services.AuditEvent, "record", _refuse)
    with pytest.raises(RuntimeError):
        make_removal(account_a, operator, evidence=[_shot()])
    evidence = Evidence.objects.get(removed_post=kept)
    assert _stored_files() == [evidence.file.name.rsplit("/", 1)[1]]
    assert evidence.file.read() == DATA


def test_advertising_screenshots_are_not_stored(account_a, operator):
    make_removal(account_a, operator, code="reklam", evidence=[_shot()])
    assert _stored_files() == [] and not Evidence.objects.exists()


def test_evidence_is_stored_under_the_extension_its_bytes_show(account_a, operator):
    """Issue 8: the uploader's file name never decides how a stored file is served."""
    image = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(image, "PNG")
    upload = SimpleUploadedFile("bild.html", image.getvalue(), "text/html")
    record = make_removal(account_a, operator, evidence=[upload])
    evidence = Evidence.objects.get(removed_post=record)
    assert evidence.file.name.endswith(".png")
    assert evidence.original_name == "bild.html"
    assert evidence.content_type == "image/png"
