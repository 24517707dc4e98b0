"""Search over archived text: the text of every stored PDF/A (the page's own text, or the
OCR layer of uploaded screenshots), issue 10 "Captures that are complete and searchable".

Each stored file's text is read once, by a worker (archive.tasks.index_archived_text,
queued when the file is stored, and an hourly sweep for the files not yet read), into
ArchivedText. The text comes from the PDF's text layer with pypdf (pure Python, no
external program; the layer is what Chromium, WeasyPrint or OCRmyPDF wrote).

PostgreSQL: full-text search with the Swedish configuration (stemming: "kommentarerna"
finds "kommentar") over a stored tsvector with a GIN index. SQLite: every word must occur
in the casefolded copy, so that "Ö" finds "ö" and "ö" finds "Ö" (SQLite's LIKE folds only
ASCII). Either way the results are the stored snapshots the user may see in the archive
list (SnapshotQuerySet.visible_to), newest first, with snippets.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from archive.models import ArchivedText, Snapshot
from nykvarn_sm.lib import outbox

log = logging.getLogger(__name__)

# The text kept per file. A page of an account is rarely more than some tens of thousands
# of characters; a runaway text layer must not fill the database.
MAX_TEXT = 2_000_000
# PostgreSQL's tsvector holds at most 1 MB; the vector is built from the text's start.
MAX_VECTOR_TEXT = 400_000
# Files queued per sweep; the rest follow in the next hour.
SWEEP_LIMIT = 500
# Snippet markers for ts_headline, private-use characters no page text contains.
MARK_START, MARK_STOP = "\ue000", "\ue001"
SNIPPET_CHARS = 240


def normalise(text: str) -> str:
    """Return text in NFC without NUL (a PDF's "o" + combining diaeresis becomes "ö")."""
    return unicodedata.normalize("NFC", text.replace("\x00", " "))


def fold(text: str) -> str:
    """Return the casefolded form SQLite's search compares."""
    return normalise(text).casefold()


def extract_text(data: bytes) -> str:
    """Return the text layer of a PDF, page by page (a form feed between pages)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = []
    size = 0
    for page in reader.pages:
        text = normalise(page.extract_text() or "")
        pages.append(text)
        size += len(text)
        if size >= MAX_TEXT:
            break
    return "\f".join(pages)[:MAX_TEXT]


def index_snapshot(snapshot_id: int) -> ArchivedText | None:
    """Read a stored file's text into the search table; safe to run twice.

    None when the snapshot is not stored (failed, disposed of meanwhile) or its file no
    longer matches its checksum (the fixity check reports that; nothing is indexed from
    bytes the archive can't vouch for). The reading happens outside any transaction.
    """
    from archive.storage import archive_storage

    snapshot = Snapshot.objects.stored().filter(pk=snapshot_id).first()
    if snapshot is None:
        return None
    done = ArchivedText.objects.filter(snapshot_id=snapshot_id, sha256=snapshot.sha256).first()
    if done is not None:
        return done
    try:
        with archive_storage().open(snapshot.file_name, "rb") as handle:
            data = handle.read()
    except OSError:
        log.warning("Archived text: file of snapshot %s not readable", snapshot_id)
        return None
    if hashlib.sha256(data).hexdigest() != snapshot.sha256:
        log.warning("Archived text: file of snapshot %s does not match its SHA-256", snapshot_id)
        return None
    try:
        text = extract_text(data)
    except Exception:  # noqa: BLE001 - pypdf raises many kinds for a damaged file
        log.exception("Archived text: could not read the text of snapshot %s", snapshot_id)
        text = ""
    with transaction.atomic():
        # Disposal locks the row too: text is never written for a file already disposed of.
        still = Snapshot.objects.select_for_update().filter(
            pk=snapshot_id, status=Snapshot.Status.STORED, sha256=snapshot.sha256
        )
        if not still.exists():
            return None
        row, _created = ArchivedText.objects.update_or_create(
            snapshot_id=snapshot_id,
            defaults={
                "sha256": snapshot.sha256,
                "text": text,
                "folded": fold(text),
                "search_vector": None,
                "indexed_at": timezone.now(),
            },
        )
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchVector
            from django.db.models.functions import Left

            ArchivedText.objects.filter(pk=snapshot_id).update(
                search_vector=SearchVector(Left("text", MAX_VECTOR_TEXT), config="swedish")
            )
    return row


def queue_indexing(snapshot_id: int) -> None:
    """Ask a worker to index the file once the storing transaction commits."""
    from archive.tasks import index_archived_text

    outbox.publish_on_commit(index_archived_text, snapshot_id)


def unindexed() -> QuerySet[Snapshot]:
    """Stored snapshots whose current file has no text in the search table."""
    return Snapshot.objects.stored().exclude(Q(text__isnull=False) & Q(text__sha256=F("sha256")))


def queue_unindexed() -> int:
    """Send the workers the stored files not yet indexed; return how many were sent."""
    from archive.tasks import index_archived_text

    waiting = unindexed().order_by("pk").values_list("pk", flat=True)[:SWEEP_LIMIT]
    return sum(1 for pk in waiting if outbox.publish(index_archived_text, pk))


# --- searching ---------------------------------------------------------------------------------


@dataclass
class Hit:
    """One search result: the snapshot and a snippet as (text, is_match) parts."""

    snapshot: Snapshot
    snippet: list[tuple[str, bool]]


def search(user: Any, query: str) -> QuerySet[ArchivedText]:
    """Return the archived texts matching `query` that the user may see, best first."""
    query = normalise(query).strip()
    visible = Snapshot.objects.visible_to(user).stored()
    texts = (
        ArchivedText.objects.filter(snapshot__in=visible.values("pk"))
        .select_related("snapshot__account__platform", "snapshot__account__department")
        .defer("folded", "search_vector")
    )
    if not query:
        return texts.none()
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank

        tsquery = SearchQuery(query, config="swedish", search_type="websearch")
        return (
            texts.filter(search_vector=tsquery)
            .defer("text")
            .annotate(
                rank=SearchRank(F("search_vector"), tsquery),
                headline=SearchHeadline(
                    "text",
                    tsquery,
                    config="swedish",
                    start_sel=MARK_START,
                    stop_sel=MARK_STOP,
                    max_words=30,
                    min_words=12,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                ),
            )
            .order_by("-rank", "-snapshot__stored_at", "-pk")
        )
    for word in fold(query).split():
        texts = texts.filter(folded__contains=word)
    return texts.order_by("-snapshot__stored_at", "-pk")


def hits(rows: list[ArchivedText], query: str) -> list[Hit]:
    """Return the page's rows with their snippets (no further queries)."""
    return [Hit(snapshot=row.snapshot, snippet=_snippet(row, query)) for row in rows]


def _snippet(row: ArchivedText, query: str) -> list[tuple[str, bool]]:
    headline = getattr(row, "headline", None)
    if headline is not None:
        parts: list[tuple[str, bool]] = []
        for piece in re.split(f"({MARK_START}.*?{MARK_STOP})", " ".join(headline.split())):
            if piece.startswith(MARK_START):
                parts.append((piece.strip(MARK_START + MARK_STOP), True))
            elif piece:
                parts.append((piece, False))
        return parts
    text = " ".join(row.text.split())
    words = [re.escape(word) for word in normalise(query).split() if word]
    if not words:
        return [(text[:SNIPPET_CHARS], False)]
    pattern = re.compile("|".join(words), re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - SNIPPET_CHARS // 3)
    window = text[start : start + SNIPPET_CHARS]
    parts = [("… ", False)] if start else []
    last = 0
    for match in pattern.finditer(window):
        if match.start() > last:
            parts.append((window[last : match.start()], False))
        parts.append((match.group(), True))
        last = match.end()
    parts.append((window[last:], False))
    if start + SNIPPET_CHARS < len(text):
        parts.append((" …", False))
    return parts
