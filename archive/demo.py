"""Demo archive: stored periodic snapshots of two active accounts, made from local HTML with
the fallback renderer, so that `make run` needs no network and no browser. Idempotent: the
"one periodic snapshot per account and period" constraint is the key."""

from __future__ import annotations

import hashlib
from typing import TextIO

from django.utils import timezone

from archive import capture as capturing
from archive.models import Snapshot, period_for
from archive.services import render_and_store
from registry.models import SocialAccount

PAGE = """<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>{name}</title>
<style>body{{font-family:"DejaVu Sans";margin:24px}} .post{{border:1px solid #ccc;
padding:12px;margin:12px 0}}</style></head><body>
<h1>{name}</h1><p>{platform} · {department} · {url}</p>
<div class="post"><h2>Välkommen!</h2><p>Här berättar vi om vad som händer hos oss i Nykvarn.
Följ oss för nyheter, evenemang och öppettider. 🌲</p></div>
<div class="post"><h2>Sommarlovet närmar sig</h2><p>Anmälan till sommarens aktiviteter öppnar
den 1 maj. Läs mer på nykvarn.se.</p></div>
<p>Inlägg och kommentarer kan bli allmän handling. Vi tar bort inlägg som bryter mot
lag eller våra regler.</p></body></html>"""


def seed(out: TextIO) -> None:
    period = period_for(timezone.localdate())
    accounts = SocialAccount.objects.filter(state=SocialAccount.State.ACTIVE).select_related(
        "platform", "department"
    )[:2]
    made = 0
    for account in accounts:
        snapshot, created = Snapshot.objects.get_or_create(
            account=account,
            period=period,
            context=Snapshot.Context.PERIODIC,
            defaults={
                "source_url": account.url,
                "requested_via": "demodata",
                # Claimed as a worker would claim it: this seed is the one working on it.
                "status": Snapshot.Status.CAPTURING,
                "attempts": 1,
            },
        )
        if not created:
            continue
        html = PAGE.format(
            name=account.name,
            platform=account.platform.name,
            department=account.department.name,
            url=account.url,
        )
        page = capturing.Capture(
            method="fallback",
            captured_at=timezone.now(),
            final_url=account.url,
            http_status=200,
            title=account.name,
            html=html,
            raw_sha256=hashlib.sha256(html.encode()).hexdigest(),
        )
        snapshot = Snapshot.objects.select_related(
            "account__platform", "account__department__parent", "requested_by"
        ).get(pk=snapshot.pk)
        render_and_store(snapshot, page)
        made += 1
    out.write(f"Arkiv: {made} demouttag lagrade.\n")
