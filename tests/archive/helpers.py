"""Stored snapshots for page tests, made without a browser or network."""

from __future__ import annotations

import hashlib

from django.utils import timezone

from accounts.models import AuditEvent
from archive.models import Snapshot
from archive.storage import convention_name, save_new
from nykvarn_sm.lib import pdfa


def stored_snapshot(account, *, context=Snapshot.Context.PERIODIC, period=None, html=None):
    """Return a STORED snapshot of `account` whose PDF/A was rendered from local HTML."""
    from archive.models import period_for

    data = pdfa.render_pdfa(
        html or f"<h1>{account.name}</h1><p>Räksmörgås</p>", title=account.name, author="Test"
    )
    snapshot = Snapshot.objects.create(
        account=account,
        period=period or period_for(timezone.localdate()),
        context=context,
        source_url=account.url,
        requested_via="test",
    )
    name = save_new(
        account.department.office.name,
        convention_name(
            platform=account.platform.name,
            department=account.department.name,
            day=timezone.localdate(),
            context=snapshot.context_label,
        ),
        data,
    )
    Snapshot.objects.filter(pk=snapshot.pk).update(
        status=Snapshot.Status.STORED,
        file_name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        page_count=1,
        pdfa_variant="1b",
        validation_passed=True,
        method=Snapshot.Method.FALLBACK,
        stored_at=timezone.now(),
        captured_at=timezone.now(),
    )
    snapshot.refresh_from_db()
    # As archive.services.render_and_store does: the audit trail keeps the stored checksum.
    AuditEvent.record(
        actor=None,
        action="archive.snapshot_stored",
        target=snapshot,
        details={"file": name, "sha256": snapshot.sha256, "method": snapshot.method},
    )
    return snapshot
