"""PDF/A snapshots of the accounts' pages (ARC-1 … ARC-5, the guideline's "Arkivering")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Exists, F, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from registry.models import SocialAccount


def period_for(day: dt.date, months: list[int] | None = None) -> str:
    """Return the snapshot period a day falls in, e.g. "2026-H1" or "2026-H2".

    With the default months (January and July) the periods are the half-years; with
    other configured months (ARCHIVE_SNAPSHOT_MONTHS, e.g. [3, 9]) a period starts in
    each listed month and the days before the first belong to the last one of the year
    before.
    """
    months = sorted(months or settings.ARCHIVE_SNAPSHOT_MONTHS)
    index = sum(1 for m in months if m <= day.month)
    if index == 0:
        return f"{day.year - 1}-H{len(months)}"
    return f"{day.year}-H{index}"


def period_bounds(period: str, months: list[int] | None = None) -> tuple[dt.date, dt.date]:
    """Return the first day of a period and the first day of the next one.

    The inverse of `period_for`: every day d with start <= d < end falls in `period`.
    ValueError for a text that is no period of the configured months.
    """
    from nykvarn_sm.lib.formfields import earliest_date, latest_date

    months = sorted(months or settings.ARCHIVE_SNAPSHOT_MONTHS)
    year_text, _sep, index_text = period.partition("-H")
    year, index = int(year_text), int(index_text)
    # Within the dates anyone may type (EARLIEST_DATE, LATEST_DATE_YEARS): year 1 begins
    # before UTC's year 1 in Europe/Stockholm, which no datetime can hold.
    if not 1 <= index <= len(months) or not earliest_date().year <= year <= latest_date().year:
        raise ValueError(f"No such period: {period!r}")
    start = dt.date(year, months[index - 1], 1)
    end = (
        dt.date(year, months[index], 1) if index < len(months) else dt.date(year + 1, months[0], 1)
    )
    return start, end


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def missing_periodic_extracts(
    accounts: models.QuerySet[SocialAccount], *, today: dt.date | None = None
) -> models.QuerySet[Any]:
    """Return the "saknade periodiska uttag": (account, period) pairs where a period has
    passed without a stored periodic extract of an account that was active during it.

    ARC-1 "minst två gånger per år": a half-year whose extract failed, waited for an upload
    that never came, or was never planned must not be forgotten when the next one starts.
    An account counts as active from `activated_at` until its closing began (the planner
    takes only active accounts). Two queries whatever the number of accounts and periods:
    the first activation, then one UNION of one SELECT per passed period. Rows are dicts
    (account_id, account_name, platform_name, department_name, period, snapshot_id,
    snapshot_status), newest period first; `snapshot_*` is the failed or waiting attempt,
    if any.
    """
    today = today or timezone.localdate()
    first = accounts.aggregate(first=Min("activated_at"))["first"]
    if first is None:
        return _gap_rows(accounts.none(), "")
    periods = []
    period = period_for(timezone.localdate(first))
    current = period_for(today)
    while period != current:
        periods.append(period)
        period = period_for(period_bounds(period)[1])
    if not periods:
        return _gap_rows(accounts.none(), "")
    ended = Coalesce("closing_started_at", "closed_at")
    parts = []
    for period in periods:
        start, end = period_bounds(period)
        periodic = Snapshot.objects.filter(
            account=OuterRef("pk"), period=period, context=Snapshot.Context.PERIODIC
        )
        parts.append(
            _gap_rows(
                accounts.alias(ended=ended)
                .filter(activated_at__lt=_start_of(end))
                .filter(Q(ended__isnull=True) | Q(ended__gte=_start_of(start)))
                # A disposed extract was stored before its decision let it go (ARC-4).
                .exclude(
                    Exists(
                        periodic.filter(
                            status__in=[Snapshot.Status.STORED, Snapshot.Status.DISPOSED]
                        )
                    )
                )
                .annotate(
                    snapshot_id=Subquery(periodic.values("pk")[:1]),
                    snapshot_status=Subquery(periodic.values("status")[:1]),
                ),
                period,
            )
        )
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return rows.order_by("-period", "department_name", "platform_name", "account_name")


def _gap_rows(accounts: models.QuerySet[SocialAccount], period: str) -> models.QuerySet[Any]:
    if not period:
        accounts = accounts.annotate(
            snapshot_id=Value(None, output_field=models.IntegerField()),
            snapshot_status=Value("", output_field=models.CharField()),
        )
    # Every SELECT of the UNION has the same columns in the same order.
    return (
        accounts.order_by()
        .annotate(
            account_id=F("pk"),
            account_name=F("name"),
            platform_name=F("platform__name"),
            department_name=F("department__name"),
            period=Value(period, output_field=models.CharField()),
        )
        .values(
            "account_id",
            "account_name",
            "platform_name",
            "department_name",
            "period",
            "snapshot_id",
            "snapshot_status",
        )
    )


class SnapshotQuerySet(models.QuerySet["Snapshot"]):
    def visible_to(self, user: Any) -> SnapshotQuerySet:
        """Return the snapshots of the accounts whose archive the user may see (ARC-5)."""
        from accounts import permissions as perms

        scope = perms.archive_scope(user)
        if scope is None:
            return self
        return self.filter(account__department_id__in=scope)

    def with_sources_flag(self) -> SnapshotQuerySet:
        """Annotate `has_sources`, so that `awaiting_upload` costs no query per row."""
        return self.annotate(
            has_sources=models.Exists(SnapshotSource.objects.filter(snapshot=models.OuterRef("pk")))
        )

    def awaiting_upload(self) -> SnapshotQuerySet:
        """Queued snapshots of login-wall pages with nothing uploaded yet."""
        return self.filter(
            status=Snapshot.Status.QUEUED,
            method=Snapshot.Method.UPLOAD,
            account__platform__login_wall=True,
            sources__isnull=True,
        )

    def stored(self) -> SnapshotQuerySet:
        return self.filter(status=Snapshot.Status.STORED)


class Snapshot(models.Model):
    """One capture of one account's page, kept as a validated PDF/A file (ARC-1).

    A snapshot counts only once its PDF/A has been validated and its checksum recorded:
    status STORED. The work is done by archive.tasks.capture_snapshot, which claims the
    row with a conditional UPDATE so that a task delivered twice does the work once.
    """

    class Context(models.TextChoices):
        # The labels are the words the file name uses (ARC-3): "periodiskt uttag".
        PERIODIC = "periodic", _("periodiskt uttag")
        BEFORE_CHANGE = "change", _("inför förändring")
        BEFORE_CLOSING = "closing", _("inför avslut")
        MANUAL = "manual", _("manuellt")

    class Status(models.TextChoices):
        QUEUED = "queued", _("I kö")
        CAPTURING = "capturing", _("Hämtar sidan")
        RENDERING = "rendering", _("Skapar PDF/A")
        VALIDATING = "validating", _("Validerar")
        STORED = "stored", _("Lagrad")
        FAILED = "failed", _("Misslyckad")
        # The file was disposed of under a gallring decision (archive.gallring); what
        # remains is its Disposal record. Not "stored": fixity checks skip it.
        DISPOSED = "disposed", _("Gallrad")

    class Method(models.TextChoices):
        BROWSER = "browser", _("webbläsare (Chromium)")
        FALLBACK = "fallback", _("HTML utan skript (WeasyPrint)")
        UPLOAD = "upload", _("uppladdade skärmbilder/PDF")

    class TimestampStatus(models.TextChoices):
        # Empty: none asked for (the file was stored while timestamping was off).
        PENDING = "pending", _("Väntar på tidsstämpel")
        STAMPED = "stamped", _("Tidsstämplad")
        INVALID = "invalid", _("Tidsstämpeln är ogiltig")

    account = models.ForeignKey(
        SocialAccount, verbose_name=_("konto"), on_delete=models.PROTECT, related_name="snapshots"
    )
    period = models.CharField(_("period"), max_length=10)
    context = models.CharField(_("sammanhang"), max_length=20, choices=Context.choices)
    note = models.CharField(_("anteckning"), max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("beställd av"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # When no person asked: "planeraren", "kommandot snapshot".
    requested_via = models.CharField(_("beställd genom"), max_length=60, blank=True)
    method = models.CharField(_("metod"), max_length=20, choices=Method.choices, blank=True)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("försök"), default=0)
    last_error = models.TextField(_("senaste fel"), blank=True)

    # What was captured.
    source_url = models.URLField(_("adress"), max_length=500)
    final_url = models.URLField(_("slutlig adress"), max_length=2000, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP-status"), null=True, blank=True)
    page_title = models.CharField(_("sidans titel"), max_length=500, blank=True)
    captured_at = models.DateTimeField(_("hämtad"), null=True, blank=True)
    raw_sha256 = models.CharField(_("SHA-256 för råmaterialet"), max_length=64, blank=True)

    # The stored file (ARC-2, ARC-3): a name in the "archive" storage, never overwritten.
    file_name = models.CharField(_("fil"), max_length=500, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("storlek (byte)"), null=True, blank=True)
    page_count = models.PositiveIntegerField(_("antal sidor"), null=True, blank=True)
    pdfa_variant = models.CharField(_("PDF/A-variant"), max_length=10, blank=True)
    validation_passed = models.BooleanField(_("validering godkänd"), null=True, blank=True)
    validator = models.CharField(_("validerare"), max_length=120, blank=True)
    validator_version = models.CharField(_("validerarens version"), max_length=60, blank=True)
    validation_messages = models.JSONField(_("valideringsmeddelanden"), default=list, blank=True)

    created_at = models.DateTimeField(_("beställd"), default=timezone.now)
    started_at = models.DateTimeField(_("påbörjad"), null=True, blank=True)
    stored_at = models.DateTimeField(_("lagrad"), null=True, blank=True)
    updated_at = models.DateTimeField(_("ändrad"), auto_now=True)
    # The outbox (issue 9 "Nothing submitted is lost"): a QUEUED row is the request for
    # work; the message to the broker is only a hint to start now. `published_at`: when a
    # message for the current attempt was last handed to the broker (None: not yet, or the
    # broker refused, or a worker took it); `not_before`: the earliest time the next attempt
    # may start (the retry backoff). archive.services.publish_waiting_snapshots, every
    # minute, sends what is due and was not sent recently.
    published_at = models.DateTimeField(_("skickad till kön"), null=True, blank=True)
    not_before = models.DateTimeField(_("nästa försök tidigast"), null=True, blank=True)
    # Beaten by the worker while it works on the snapshot; one that stopped beating for
    # ARCHIVE_HEARTBEAT_TIMEOUT seconds lost its worker and may be taken over.
    heartbeat_at = models.DateTimeField(_("arbetaren hördes av"), null=True, blank=True)
    # Fixity: the last time verify_archive recomputed the checksum, and what it found.
    verified_at = models.DateTimeField(_("kontrollerad"), null=True, blank=True)
    fixity_ok = models.BooleanField(_("kontrollsumma stämmer"), null=True, blank=True)
    # Trusted timestamp (RFC 3161) of the stored file's SHA-256, from settings.TSA_URL:
    # requested by archive.tasks.timestamp_snapshot after the file is stored, so that the
    # file can be shown to be unchanged since then with nothing but the TSA's CA (issue 9).
    timestamp_status = models.CharField(
        _("tidsstämpel"), max_length=20, choices=TimestampStatus.choices, blank=True
    )
    # The TSA's DER TimeStampResp, byte for byte (`openssl ts -verify -in` reads it).
    timestamp_token = models.BinaryField(_("tidsstämpelns token"), null=True, blank=True)
    timestamp_at = models.DateTimeField(_("tidsstämplad"), null=True, blank=True)
    timestamp_tsa = models.CharField(_("tidsstämpeltjänst"), max_length=500, blank=True)
    timestamp_attempts = models.PositiveIntegerField(_("försök att tidsstämpla"), default=0)
    timestamp_tried_at = models.DateTimeField(
        _("senaste försök att tidsstämpla"), null=True, blank=True
    )
    timestamp_error = models.TextField(_("tidsstämpelns fel"), blank=True)
    # Login walls: the last day the people running the account were reminded to upload
    # (archive.services.remind_waiting_uploads claims the day with a conditional UPDATE).
    upload_reminded_on = models.DateField(_("påmind om uppladdning"), null=True, blank=True)

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("arkivuttag")
        verbose_name_plural = _("arkivuttag")
        ordering = ["-created_at", "-id"]
        constraints = [
            # ARC-1: one periodic snapshot per account and period, whatever the planner,
            # a missed beat run or a message delivered twice does.
            models.UniqueConstraint(
                fields=["account", "period"],
                condition=Q(context="periodic"),
                name="snapshot_one_periodic_per_period",
            ),
            models.CheckConstraint(
                condition=~Q(status="stored") | (~Q(sha256="") & ~Q(file_name="")),
                name="snapshot_stored_has_file_and_checksum",
            ),
            # ARC-3, never a second file for one snapshot: the worker reserves the file's
            # name here before it links the file, so a worker killed after the link leaves
            # a name the next attempt recognises as its own and adopts.
            models.UniqueConstraint(
                fields=["file_name"],
                condition=~Q(file_name=""),
                name="snapshot_one_row_per_file",
            ),
        ]
        indexes = [
            # The list page filters by status and period; the planner by period.
            models.Index(fields=["status", "period"], name="snapshot_status_period_idx"),
            # has_stored_closing_snapshot(account) and the account page's list.
            models.Index(fields=["account", "context", "status"], name="snapshot_account_idx"),
            # publish_waiting_snapshots: the queued and in-progress rows, every minute.
            models.Index(
                fields=["status", "published_at"],
                name="snapshot_outbox_idx",
                condition=Q(status__in=["queued", "capturing", "rendering", "validating"]),
            ),
            # archive.services.queue_missing_timestamps: stored files still without a token.
            models.Index(
                fields=["timestamp_tried_at"],
                name="snapshot_timestamp_due_idx",
                condition=Q(status="stored") & Q(timestamp_status__in=["", "pending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.period} {self.context_label}"

    def get_absolute_url(self) -> str:
        return reverse("archive:detail", args=[self.pk])

    @property
    def context_label(self) -> str:
        """Return the context in Swedish, as the file name writes it (ARC-3)."""
        with translation.override("sv"):
            return str(self.get_context_display())

    @property
    def in_progress(self) -> bool:
        return self.status in (
            self.Status.QUEUED,
            self.Status.CAPTURING,
            self.Status.RENDERING,
            self.Status.VALIDATING,
        )

    @property
    def awaiting_upload(self) -> bool:
        """Queued for a page behind a login wall with nothing uploaded yet: "väntar på
        uppladdning" (ARC-1; the planner makes these for Facebook and Instagram)."""
        if self.status != self.Status.QUEUED or self.method != self.Method.UPLOAD:
            return False
        has_sources = getattr(self, "has_sources", None)  # SnapshotQuerySet.with_sources_flag
        if has_sources is None:
            has_sources = self.sources.exists()
        return not has_sources

    @property
    def waiting_for_broker(self) -> bool:
        """Queued, but the broker did not take the message (it was down): the minute's sweep
        sends it once the broker is back (archive.services.publish_waiting_snapshots)."""
        return (
            self.status == self.Status.QUEUED
            and self.published_at is None
            and not self.awaiting_upload
        )

    @property
    def download_name(self) -> str:
        """Return the file's own name, e.g. "Facebook Fritidsfabriken 2018-11-15 periodiskt
        uttag.pdf"."""
        return self.file_name.rsplit("/", 1)[-1]

    def can_retry(self) -> bool:
        return self.status == self.Status.FAILED

    def retry(self) -> bool:
        """Put a failed snapshot back in the queue with a fresh attempt budget."""
        updated = Snapshot.objects.filter(pk=self.pk, status=self.Status.FAILED).update(
            status=self.Status.QUEUED,
            attempts=0,
            last_error="",
            not_before=None,
            published_at=None,
            updated_at=timezone.now(),
        )
        if updated:
            self.refresh_from_db()
        return bool(updated)

    def advance(self, status: str) -> None:
        """Record progress (capturing → rendering → validating) for the pages to show."""
        Snapshot.objects.filter(pk=self.pk).update(status=status, updated_at=timezone.now())
        self.status = status


def _upload_to(instance: SnapshotSource, filename: str) -> str:
    return f"arkiv-underlag/{timezone.now():%Y/%m}/{filename}"


class SnapshotSource(models.Model):
    """An uploaded screenshot (PNG, JPEG) or PDF print of a page behind a login wall."""

    snapshot = models.ForeignKey(
        Snapshot, verbose_name=_("arkivuttag"), on_delete=models.CASCADE, related_name="sources"
    )
    file = models.FileField(_("fil"), upload_to=_upload_to, max_length=300)
    original_name = models.CharField(_("filnamn"), max_length=255)
    content_type = models.CharField(_("filtyp"), max_length=100)
    position = models.PositiveSmallIntegerField(_("ordning"), default=0)

    class Meta:
        verbose_name = _("underlag")
        verbose_name_plural = _("underlag")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.original_name


class FixityCheck(models.Model):
    """One run of the fixity check (verify_archive): which files were missing or changed."""

    class Problem(models.TextChoices):
        # The values are what `problems` holds and the command prints (upper case).
        MISSING = "saknas", _("filen saknas")
        CHANGED = "ändrad", _("innehållet har ändrats")
        # The file and its recorded checksum were both replaced: the audit trail's
        # "archive.snapshot_stored" event or the timestamp token still has the original.
        CHECKSUM_REPLACED = (
            "kontrollsumma ersatt",
            _("filen har bytts ut tillsammans med sin registrerade kontrollsumma"),
        )
        TIMESTAMP_INVALID = "tidsstämpel ogiltig", _("tidsstämpeln saknas eller godtas inte")
        EVENT_MISSING = "händelse saknas", _("händelsen då filen lagrades saknas i händelseloggen")
        STRAY = "utan post", _("filen har ingen post i arkivet")
        LEFTOVER = "tillfällig fil", _("en tillfällig fil från en avbruten lagring")

    started_at = models.DateTimeField(_("startad"), default=timezone.now)
    finished_at = models.DateTimeField(_("klar"), null=True, blank=True)
    files_checked = models.PositiveIntegerField(_("filer kontrollerade"), default=0)
    problems = models.JSONField(_("avvikelser"), default=list, blank=True)
    triggered_by = models.CharField(_("startad av"), max_length=60)
    # The monthly task's run ("2026-11"): unique, so that a message the broker delivers
    # again while the check still runs does nothing. Empty for checks run by hand.
    run_key = models.CharField(_("körning"), max_length=20, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("kontroll av kontrollsummor")
        verbose_name_plural = _("kontroller av kontrollsummor")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ({len(self.problems)})"

    @property
    def ok(self) -> bool:
        return self.finished_at is not None and not self.problems


# --- gallring, legal hold and disposal (ARC-4, the guideline's "Gallra otillåtna
# inlägg/kommentarer": "får du gallra information på sociala medier efter det att du utfört
# arkivering") ---------------------------------------------------------------------------------


def months_after(day: dt.date, months: int) -> dt.date:
    """Return the day `months` calendar months after `day` (the 31st becomes the last day)."""
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class GallringDecisionQuerySet(models.QuerySet["GallringDecision"]):
    def in_force(self, *, today: dt.date | None = None) -> GallringDecisionQuerySet:
        """Decisions taken by `today` and not revoked by then."""
        today = today or timezone.localdate()
        return self.filter(decided_on__lte=today).filter(
            Q(revoked_on__isnull=True) | Q(revoked_on__gt=today)
        )


class GallringDecision(models.Model):
    """A decision to thin (gallringsbeslut): what may go, and after how long.

    Configuration in the admin (the communications office), taken from the municipality's
    document management plan. Without a decision nothing is thinned or disposed: the
    default is to keep (ARC-4; REQUIREMENTS "deleting content on a platform counts as
    gallring and needs a gallring decision").
    """

    class Applies(models.TextChoices):
        PLATFORM = "platform", _("innehåll på plattformen (inlägg och kommentarer)")
        ARCHIVE = "archive", _("arkiverade filer (arkivuttag)")

    diarienummer = models.CharField(_("diarienummer"), max_length=60, unique=True)
    decided_on = models.DateField(_("beslutsdatum"))
    decided_by = models.CharField(
        _("beslutat av"), max_length=200, help_text=_("Till exempel kommunstyrelsen.")
    )
    applies_to = models.CharField(_("gäller"), max_length=20, choices=Applies.choices)
    description = models.TextField(
        _("vad som får gallras"), help_text=_("Beslutets beskrivning av informationen.")
    )
    retention_months = models.PositiveIntegerField(
        _("gallringsfrist (månader)"),
        help_text=_(
            "Hur länge informationen ska finnas kvar innan den får gallras: för innehåll på "
            "plattformen räknat från periodens slut, för arkivuttag från den dag de lagrades."
        ),
    )
    revoked_on = models.DateField(_("upphävt"), null=True, blank=True)
    created_at = models.DateTimeField(_("registrerat"), default=timezone.now)

    objects = GallringDecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("gallringsbeslut")
        verbose_name_plural = _("gallringsbeslut")
        ordering = ["-decided_on", "diarienummer"]
        constraints = [
            models.CheckConstraint(
                condition=Q(retention_months__lte=1200), name="gallring_retention_at_most_100_years"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.diarienummer} ({self.get_applies_to_display()})"

    def is_in_force(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.decided_on <= today and (self.revoked_on is None or self.revoked_on > today)

    def may_go_on(self, since: dt.date) -> dt.date:
        """Return the first day information kept since `since` may be thinned."""
        return months_after(since, self.retention_months)

    # What the decision says: fixed once a thinning or disposal was made under it (only
    # its revocation may change then), and copied onto those records (ARC-4, "Gallra").
    TERMS = (
        "diarienummer",
        "decided_on",
        "decided_by",
        "applies_to",
        "description",
        "retention_months",
    )

    def terms(self) -> dict[str, Any]:
        """Return the decision's terms as a record made under it keeps them."""
        return {
            "diarienummer": self.diarienummer,
            "decided_on": self.decided_on.isoformat(),
            "decided_by": self.decided_by,
            "applies_to": self.applies_to,
            "description": self.description,
            "retention_months": self.retention_months,
        }

    def is_used(self) -> bool:
        """Whether a thinning or disposal was made under the decision."""
        return self.thinnings.exists() or self.disposals.exists()


class LegalHoldQuerySet(models.QuerySet["LegalHold"]):
    def active(self) -> LegalHoldQuerySet:
        return self.filter(released_at__isnull=True)


class LegalHold(models.Model):
    """A stop to thinning and disposal (gallringsstopp) for a case, a request for public
    records or a dispute: on an account, on a period of it, or on some of its records.

    While it holds, neither the platform's content it covers may be recorded as thinned
    nor the archived files it covers be disposed (archive.gallring).
    """

    class Scope(models.TextChoices):
        ACCOUNT = "account", _("hela kontot")
        PERIOD = "period", _("en period")
        RECORDS = "records", _("enskilda arkivuttag")

    class Reason(models.TextChoices):
        CASE = "case", _("ärende")
        PUBLIC_RECORDS = "public_records", _("begäran om allmän handling")
        DISPUTE = "dispute", _("tvist")
        OTHER = "other", _("annat")

    account = models.ForeignKey(
        SocialAccount, verbose_name=_("konto"), on_delete=models.PROTECT, related_name="holds"
    )
    scope = models.CharField(_("omfattning"), max_length=20, choices=Scope.choices)
    starts_on = models.DateField(_("från"), null=True, blank=True)
    ends_on = models.DateField(_("till och med"), null=True, blank=True)
    snapshots = models.ManyToManyField(
        Snapshot, verbose_name=_("arkivuttag"), blank=True, related_name="holds"
    )
    reason = models.CharField(_("skäl"), max_length=20, choices=Reason.choices)
    reference = models.CharField(_("diarienummer eller referens"), max_length=100, blank=True)
    note = models.TextField(_("beskrivning"), max_length=2000)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("beslutat av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    placed_at = models.DateTimeField(_("gäller från"), default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("hävt av"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    released_at = models.DateTimeField(_("hävt"), null=True, blank=True)
    release_note = models.CharField(_("varför det hävdes"), max_length=500, blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("gallringsstopp")
        verbose_name_plural = _("gallringsstopp")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(scope="period")
                | (
                    Q(starts_on__isnull=False)
                    & Q(ends_on__isnull=False)
                    & Q(ends_on__gte=F("starts_on"))
                ),
                name="hold_period_has_bounds",
            ),
        ]
        indexes = [
            # archive.gallring: the active holds of an account, asked before every thinning
            # and disposal.
            models.Index(
                fields=["account"], name="hold_active_idx", condition=Q(released_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        label = self.reference or self.get_reason_display()
        return f"{self.account} – {label}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None

    def covers_period(self, starts_on: dt.date, ends_on: dt.date, held: list[Snapshot]) -> bool:
        """Whether the hold stops thinning the platform's content of [starts_on, ends_on].

        `held`: the hold's snapshots (prefetched). A record is evidence of what the page
        showed when it was captured, so a hold on records stops thinning content from
        before their capture: what they show must stay checkable on the platform too.
        """
        if not self.is_active:
            return False
        if self.scope == self.Scope.ACCOUNT:
            return True
        if self.scope == self.Scope.PERIOD:
            assert self.starts_on is not None and self.ends_on is not None
            return starts_on <= self.ends_on and self.starts_on <= ends_on
        return any(
            s.captured_at is not None and starts_on <= timezone.localdate(s.captured_at)
            for s in held
        )

    def covers_snapshot(self, snapshot: Snapshot, held_ids: set[int]) -> bool:
        """Whether the hold stops disposing of the snapshot's file.

        A hold on a period keeps every capture taken on or after its first day: a later
        capture can still show the period's posts and comments.
        """
        if not self.is_active or snapshot.account_id != self.account_id:
            return False
        if self.scope == self.Scope.ACCOUNT:
            return True
        if self.scope == self.Scope.PERIOD:
            assert self.starts_on is not None
            captured = snapshot.captured_at or snapshot.created_at
            return timezone.localdate(captured) >= self.starts_on
        return snapshot.pk in held_ids


class PlatformThinning(models.Model):
    """A record that content of a period was thinned on the platform (ARC-4).

    Made only when a stored, validated snapshot captured after the period covers it, under
    a decision for the platform's content whose time has come, and with no hold on it.
    """

    account = models.ForeignKey(
        SocialAccount, verbose_name=_("konto"), on_delete=models.PROTECT, related_name="thinnings"
    )
    starts_on = models.DateField(_("innehåll från"))
    ends_on = models.DateField(_("innehåll till och med"))
    decision = models.ForeignKey(
        GallringDecision,
        verbose_name=_("gallringsbeslut"),
        on_delete=models.PROTECT,
        related_name="thinnings",
    )
    # The archiving that made the thinning allowed ("efter det att du utfört arkivering").
    covered_by = models.ForeignKey(
        Snapshot, verbose_name=_("arkiverat i"), on_delete=models.PROTECT, related_name="+"
    )
    # The decision's terms as they were when the thinning was recorded (GallringDecision.terms).
    decision_terms = models.JSONField(_("beslutets villkor"), default=dict, blank=True)
    thinned_on = models.DateField(_("gallrat den"))
    note = models.CharField(_("anteckning"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("gallrat av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("registrerat"), default=timezone.now)

    class Meta:
        verbose_name = _("gallring på plattformen")
        verbose_name_plural = _("gallringar på plattformen")
        ordering = ["-ends_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="thinning_period_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.starts_on}–{self.ends_on}"


class Disposal(models.Model):
    """What remains of an archived file disposed of under a decision: its name, checksum,
    size, the decision and who did it (ARC-4, "Gallra"). The file itself is gone."""

    snapshot = models.OneToOneField(
        Snapshot, verbose_name=_("arkivuttag"), on_delete=models.PROTECT, related_name="disposal"
    )
    decision = models.ForeignKey(
        GallringDecision,
        verbose_name=_("gallringsbeslut"),
        on_delete=models.PROTECT,
        related_name="disposals",
    )
    # The decision's terms as they were at the disposal: the record that stays when the file
    # is gone says what it went under, whatever later happens to the decision's row.
    decision_terms = models.JSONField(_("beslutets villkor"), default=dict, blank=True)
    file_name = models.CharField(_("fil"), max_length=500)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("storlek (byte)"), null=True, blank=True)
    # The uploaded screenshots the file was made from, disposed of with it.
    source_files = models.JSONField(_("underlag"), default=list, blank=True)
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("gallrat av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    disposed_at = models.DateTimeField(_("gallrat"), default=timezone.now)

    class Meta:
        verbose_name = _("gallrad fil")
        verbose_name_plural = _("gallrade filer")
        ordering = ["-disposed_at", "-id"]

    def __str__(self) -> str:
        return self.file_name


# --- search over archived text --------------------------------------------------------------


class ArchivedText(models.Model):
    """The text of one stored file (the page's text, or the OCR layer of uploaded
    screenshots), kept for search (archive.search).

    `folded`: the text casefolded, for SQLite's search (its LIKE folds only ASCII, so "Ö"
    would not find "ö"); `search_vector`: PostgreSQL's tsvector with the Swedish
    configuration (stemming), filled by archive.search.index_snapshot and searched through
    the GIN index that migration 0008 creates on PostgreSQL only.
    """

    snapshot = models.OneToOneField(
        Snapshot,
        verbose_name=_("arkivuttag"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="text",
    )
    # The file the text was read from: a snapshot stored again is read again.
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    text = models.TextField(_("text"), blank=True)
    folded = models.TextField(blank=True)
    search_vector = SearchVectorField(null=True, blank=True)
    indexed_at = models.DateTimeField(_("indexerad"), default=timezone.now)

    class Meta:
        verbose_name = _("arkiverad text")
        verbose_name_plural = _("arkiverade texter")

    def __str__(self) -> str:
        return str(self.snapshot_id)


class DeliveryPackageQuerySet(models.QuerySet["DeliveryPackage"]):
    def visible_to(self, user: Any) -> DeliveryPackageQuerySet:
        """Return the packages of the offices and accounts whose archive the user may see."""
        from accounts import permissions as perms

        scope = perms.archive_scope(user)
        if scope is None:
            return self
        return self.filter(Q(office_id__in=scope) | Q(account__department_id__in=scope))


class DeliveryPackage(models.Model):
    """A submission information package (SIP) for the e-archive, in FGS Paketstruktur 2.0.

    Issue 10 "Leverans till e-arkivet": an office's archive for one period, or one account's
    whole archive when it closes, packed with its metadata (archive.packages) by a worker
    (archive.tasks.build_package), which claims the row with a conditional UPDATE. The ZIP
    is stored under ARCHIVE_ROOT/Paket with its own SHA-256 and never overwritten.
    """

    class Scope(models.TextChoices):
        PERIOD = "period", _("kontor och period")
        CLOSING = "closing", _("konto vid avslut")

    class Status(models.TextChoices):
        QUEUED = "queued", _("I kö")
        BUILDING = "building", _("Packas")
        READY = "ready", _("Klar")
        FAILED = "failed", _("Misslyckad")

    scope = models.CharField(_("omfattning"), max_length=20, choices=Scope.choices)
    office = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("kontor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    period = models.CharField(_("period"), max_length=10, blank=True)
    account = models.ForeignKey(
        SocialAccount,
        verbose_name=_("konto"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="delivery_packages",
    )
    # The package's identifier (METS OBJID, the name of its root folder): a UUID, as
    # CSIP recommends, so that the e-archive can tell a delivery from a later one.
    object_id = models.CharField(_("paketidentitet"), max_length=60, unique=True)
    # What the archivist confirmed before building: the failed or missing snapshots of the
    # period, as shown to them (issue 10, "says so and asks before building").
    confirmed_gaps = models.JSONField(_("bekräftade luckor"), default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("beställt av"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_via = models.CharField(_("beställt genom"), max_length=60, blank=True)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("förlopp (procent)"), default=0)
    step = models.CharField(_("steg"), max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(_("försök"), default=0)
    last_error = models.TextField(_("senaste fel"), blank=True)

    file_name = models.CharField(_("fil"), max_length=500, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("storlek (byte)"), null=True, blank=True)
    file_count = models.PositiveIntegerField(_("antal filer"), null=True, blank=True)

    created_at = models.DateTimeField(_("beställt"), default=timezone.now)
    started_at = models.DateTimeField(_("påbörjat"), null=True, blank=True)
    finished_at = models.DateTimeField(_("klart"), null=True, blank=True)
    updated_at = models.DateTimeField(_("ändrat"), auto_now=True)
    # The outbox, as for snapshots (issue 9 "Nothing submitted is lost"): a QUEUED row is the
    # request; `published_at` is when its message was last handed to the broker (None: not
    # yet, the broker refused, or a worker took it). archive.packages.publish_waiting_packages
    # sends it again from the minute's sweep. `heartbeat_at` is beaten by the worker while
    # it builds; one silent for ARCHIVE_HEARTBEAT_TIMEOUT seconds is dead and is taken over.
    published_at = models.DateTimeField(_("skickat till kön"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("arbetaren hördes av"), null=True, blank=True)

    objects = DeliveryPackageQuerySet.as_manager()

    class Meta:
        verbose_name = _("leveranspaket")
        verbose_name_plural = _("leveranspaket")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ready") | (~Q(sha256="") & ~Q(file_name="")),
                name="package_ready_has_file_and_checksum",
            ),
            models.CheckConstraint(
                condition=(Q(scope="period") & Q(office__isnull=False) & ~Q(period=""))
                | (Q(scope="closing") & Q(account__isnull=False)),
                name="package_scope_complete",
            ),
        ]

    def __str__(self) -> str:
        if self.scope == self.Scope.CLOSING:
            return f"{self.account} ({self.get_scope_display()})"
        return f"{self.office} {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("archive:package", args=[self.pk])

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.BUILDING)

    @property
    def download_name(self) -> str:
        return self.file_name.rsplit("/", 1)[-1]

    @property
    def waiting_for_broker(self) -> bool:
        """Queued, but the broker did not take the message (it was down): the minute's sweep
        sends it once the broker is back (archive.packages.publish_waiting_packages)."""
        return self.status == self.Status.QUEUED and self.published_at is None

    @classmethod
    def lost_worker(cls) -> Q:
        """Building, but the worker stopped beating (killed, machine gone, pool child lost).

        Rows from before the heartbeat existed are judged by their last change.
        """
        silent = timezone.now() - dt.timedelta(seconds=settings.ARCHIVE_HEARTBEAT_TIMEOUT)
        return Q(status=cls.Status.BUILDING) & (
            Q(heartbeat_at__lt=silent) | Q(heartbeat_at__isnull=True, updated_at__lt=silent)
        )

    @classmethod
    def claim(cls, pk: int) -> bool:
        """Take a package for building with one conditional UPDATE; False if not ours.

        Queued ones are taken; building ones only when their worker stopped beating
        (lost_worker), so a redelivered message or the sweep takes over a dead worker's
        package while a live one keeps it. The new attempt number is the claim: a worker
        taken for dead that comes back records nothing (`mine`). Out of attempts (the
        worker died every time), the package fails visibly instead of being taken again.
        """
        now = timezone.now()
        claimable = Q(status=cls.Status.QUEUED) | cls.lost_worker()
        claimed = cls.objects.filter(
            claimable, pk=pk, attempts__lt=settings.ARCHIVE_MAX_ATTEMPTS
        ).update(
            status=cls.Status.BUILDING,
            attempts=F("attempts") + 1,
            started_at=now,
            heartbeat_at=now,
            published_at=None,
            progress=0,
            step="",
            updated_at=now,
        )
        if claimed == 1:
            return True
        cls.objects.filter(cls.lost_worker(), pk=pk).update(
            status=cls.Status.FAILED,
            last_error=str(_("Inga försök kvar: bygget avbröts varje gång (arbetaren stoppades).")),
            finished_at=now,
            updated_at=now,
        )
        return False

    def mine(self) -> models.QuerySet[DeliveryPackage]:
        """This package's row while this attempt still holds it (the claim's attempt)."""
        return DeliveryPackage.objects.filter(
            pk=self.pk, status=self.Status.BUILDING, attempts=self.attempts
        )

    def advance(self, progress: int, step: str) -> None:
        """Record how far the build has come, for the package's page (and beat)."""
        now = timezone.now()
        self.mine().update(
            progress=max(0, min(progress, 100)),
            step=step[:200],
            heartbeat_at=now,
            updated_at=now,
        )
        self.progress, self.step = progress, step
