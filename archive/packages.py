"""Delivery to the e-archive: submission information packages (SIP) (issue 10).

The version followed is FGS Paketstruktur 2.0 (Riksarkivet, in force from 2023-03-30),
which Riksarkivet defines as E-ARK CSIP 2.1.0 together with E-ARK SIP 2.1.0
(xml.ra.se/e-arkiv: "E-ARK CSIP release version 2.1.0 samt E-ARK SIP release version 2.1.0
utgör tillsammans FGS Paketstruktur version 2.0"). FGS 2.0 has no Swedish METS extension
schema of its own any more: the CSPackageMETS.xsd extension ("ExtensionMETS") of FGS 1.x
ended with it, and its Swedish facts are carried by the CSIP/SIP extension attributes
(csip:OAISPACKAGETYPE, csip:CONTENTINFORMATIONTYPE/OTHERCONTENTINFORMATIONTYPE,
csip:NOTETYPE on the agents) and the SIP agents (arkivbildare as ARCHIVIST, the
submitting organisation and its contact person as CREATOR), which are written here.

A package for an office and a half-year, or for one account when it closes:

    <OBJID>/METS.xml                         the package's METS (CSIP/SIP profile)
    <OBJID>/metadata/descriptive/            beskrivning.xml (schemas/arkivleverans-1.0.xsd)
    <OBJID>/metadata/preservation/           premis.xml (PREMIS 3) and the RFC 3161 tokens
    <OBJID>/representations/rep1/METS.xml    the representation's METS
    <OBJID>/representations/rep1/data/       the PDF/A snapshots, the removal log as PDF/A,
                                             its records with their chain hashes (CSV) and
                                             the register extract of the accounts (CSV)
    <OBJID>/schemas/                         every XML schema the package uses
    <OBJID>/documentation/                   what the package holds, in words

Every file is in a METS fileSec (or mdRef) with its size, SHA-256 and MIME type. The XML is
built with lxml, never from string templates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from accounts.models import AuditEvent, Department
from archive.models import DeliveryPackage, Snapshot, period_bounds
from nykvarn_sm.lib import outbox
from registry.models import SocialAccount

if TYPE_CHECKING:
    from accounts.models import User

SPECIFICATION = "FGS Paketstruktur 2.0 (E-ARK CSIP 2.1.0, E-ARK SIP 2.1.0)"
SIP_PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
DESCRIPTION_VERSION = "1.0"
SOFTWARE_NAME = "Nykvarn sociala medier"
SOFTWARE_VERSION = "0.1.0"
# What the package holds, in CSIP's words: PDF/A files, CSV and XML together ("Mixed"), of
# a content information type no E-ARK CITS or FGS covers (social media): "OTHER".
CONTENT_CATEGORY = "Mixed"
CONTENT_INFORMATION_TYPE = "Arkiverade sociala medier (PDF/A-uttag, logg, kontoregister)"

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP_NS = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
PREMIS_NS = "http://www.loc.gov/premis/v3"
DESCRIPTION_NS = "urn:x-nykvarn-sm:arkivleverans:1.0"

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
# The schemas shipped in every package (CSIP113) and where its XML says to find them.
SCHEMAS = {
    "mets.xsd": METS_NS,
    "xlink.xsd": XLINK_NS,
    "DILCISExtensionMETS.xsd": CSIP_NS,
    "DILCISExtensionSIPMETS.xsd": SIP_NS,
    "arkivleverans-1.0.xsd": DESCRIPTION_NS,
}
PACKAGE_FOLDER = "Paket"
REP = "representations/rep1"


class PackageError(Exception):
    """The package cannot be built (a file is missing or changed); the reason is Swedish."""


# --- what goes in ---------------------------------------------------------------------------


@dataclass
class Selection:
    """The accounts, stored snapshots, removal records and gaps one package covers."""

    scope: str
    office: Department | None
    period: str
    account: SocialAccount | None
    start: dt.date | None
    end: dt.date | None
    accounts: list[SocialAccount] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    gaps: list[dict[str, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.account is not None:
            return f"{self.account.platform.name} {self.account.name} vid avslut"
        assert self.office is not None
        return f"{self.office.name} {self.period}"

    def records(self) -> Any:
        """The removal records of the accounts in the package (the period's, at closing all)."""
        from moderation.models import RemovedPost

        records = (
            RemovedPost.objects.filter(account__in=[a.pk for a in self.accounts])
            .with_line_confidentiality()
            .select_related(
                "account__platform",
                "account__department",
                "reason",
                "removed_by",
                "registration",
                "original__registration",
                "corrects",
            )
            .order_by("position")
        )
        if self.start is not None and self.end is not None:
            records = records.filter(
                removed_at__gte=_start_of(self.start), removed_at__lt=_start_of(self.end)
            )
        return records


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def select(
    *, office: Department | None = None, period: str = "", account: SocialAccount | None = None
) -> Selection:
    """Return what a package for an office and period, or for one account, would hold.

    ARC-1 "minst två gånger per år": an account active during the period without a stored
    periodic extract of it is a gap, named with the failed or waiting attempt if there is
    one; at closing, an account without a stored "inför avslut" snapshot is one. ValueError
    for a period that is no period.
    """
    if account is not None:
        selection = Selection(
            scope=DeliveryPackage.Scope.CLOSING,
            office=None,
            period="",
            account=account,
            start=None,
            end=None,
            accounts=[account],
        )
        selection.snapshots = list(
            Snapshot.objects.stored().filter(account=account).order_by("captured_at", "pk")
        )
        if not any(s.context == Snapshot.Context.BEFORE_CLOSING for s in selection.snapshots):
            selection.gaps.append(
                {
                    "account": str(account),
                    "problem": _("inget lagrat uttag inför avslut"),
                }
            )
        return selection
    assert office is not None
    start, end = period_bounds(period)
    ended_before = Q(closing_started_at__lt=_start_of(start)) | Q(
        closing_started_at__isnull=True, closed_at__lt=_start_of(start)
    )
    accounts = list(
        SocialAccount.objects.filter(
            department_id__in=Department.descendant_ids({office.pk}),
            activated_at__lt=_start_of(end),
        )
        .exclude(ended_before)
        .select_related("platform", "department")
        .order_by("department__name", "platform__name", "name")
    )
    selection = Selection(
        scope=DeliveryPackage.Scope.PERIOD,
        office=office,
        period=period,
        account=None,
        start=start,
        end=end,
        accounts=accounts,
    )
    snapshots = list(
        Snapshot.objects.filter(account__in=[a.pk for a in accounts], period=period)
        .select_related("account__platform", "account__department")
        .order_by("captured_at", "pk")
    )
    selection.snapshots = [s for s in snapshots if s.status == Snapshot.Status.STORED]
    for account_ in accounts:
        periodic = [s for s in snapshots if s.account_id == account_.pk and s.context == "periodic"]
        if any(s.status == Snapshot.Status.STORED for s in periodic):
            continue
        if periodic and periodic[0].status == Snapshot.Status.FAILED:
            problem = _("det periodiska uttaget misslyckades")
        elif periodic:
            problem = _("det periodiska uttaget är inte klart (%(status)s)") % {
                "status": periodic[0].get_status_display()
            }
        else:
            problem = _("inget periodiskt uttag finns")
        selection.gaps.append({"account": str(account_), "problem": problem})
    return selection


def selection_of(package: DeliveryPackage) -> Selection:
    if package.scope == DeliveryPackage.Scope.CLOSING:
        assert package.account is not None
        return select(account=package.account)
    return select(office=package.office, period=package.period)


# --- asking for a package -------------------------------------------------------------------


class GapsNotConfirmed(Exception):
    """The period has failed or missing snapshots the archivist has not confirmed."""

    def __init__(self, gaps: list[dict[str, str]]) -> None:
        super().__init__(_("Perioden har uttag som saknas eller misslyckades."))
        self.gaps = gaps


@transaction.atomic
def request_package(
    *,
    office: Department | None = None,
    period: str = "",
    account: SocialAccount | None = None,
    confirmed: bool = False,
    by: User | None,
    via: str = "",
    queue: bool = True,
) -> DeliveryPackage:
    """Queue a package for building; GapsNotConfirmed while gaps are unconfirmed.

    Issue 10: a package for a period with a failed or missing snapshot says so and is
    built only when the archivist confirms it; the gaps they confirmed are kept on the row
    and written into the package's description.
    """
    selection = select(office=office, period=period, account=account)
    if selection.gaps and not confirmed:
        raise GapsNotConfirmed(selection.gaps)
    package = DeliveryPackage.objects.create(
        scope=selection.scope,
        office=office,
        period=period,
        account=account,
        object_id=f"uuid-{uuid.uuid4()}",
        confirmed_gaps=selection.gaps,
        requested_by=by,
        requested_via=via,
    )
    AuditEvent.record(
        actor=by,
        action="archive.package_requested",
        target=package,
        details={"package": package.object_id, "gaps": len(selection.gaps)},
    )
    if queue:
        _queue(package)
    return package


def _queue(package: DeliveryPackage) -> None:
    """Send the package to a worker once the transaction commits; never fail the caller.

    Issue 9 "Nothing submitted is lost": the QUEUED row is the outbox. When the broker is
    down the row stays unsent (`published_at` None), the page says so, and
    publish_waiting_packages sends it from the minute's sweep once the broker is back.
    """
    from archive.tasks import build_package

    pk = package.pk
    outbox.publish_on_commit(build_package, pk, on_published=lambda: _mark_published([pk]))


def _mark_published(package_ids: list[int]) -> None:
    # Only rows still waiting: a worker that already took the message (claim clears the
    # field) must not make a dead worker's package look recently sent.
    DeliveryPackage.objects.filter(pk__in=package_ids, status=DeliveryPackage.Status.QUEUED).update(
        published_at=timezone.now()
    )


def publish_waiting_packages() -> int:
    """Send the workers every package that waits and was not sent recently; return how many.

    Every minute, from the archive's sweep (archive.tasks.sweep_snapshots): queued packages
    no broker holds a message for (never sent, the broker was down, or sent longer than
    ARCHIVE_REPUBLISH_AFTER ago and still waiting), and building ones whose worker stopped
    beating (DeliveryPackage.lost_worker). A message sent twice builds once (claim).
    """
    from archive.tasks import build_package

    sent_before = timezone.now() - dt.timedelta(seconds=settings.ARCHIVE_REPUBLISH_AFTER)
    waiting = (
        DeliveryPackage.objects.filter(
            Q(status=DeliveryPackage.Status.QUEUED) | DeliveryPackage.lost_worker()
        )
        .filter(Q(published_at__isnull=True) | Q(published_at__lt=sent_before))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sent = [pk for pk in waiting[:SWEEP_LIMIT] if outbox.publish(build_package, pk)]
    if sent:
        DeliveryPackage.objects.filter(pk__in=sent).update(published_at=timezone.now())
    return len(sent)


# Messages one sweep sends at most (as for snapshots): a backlog goes out over a few minutes.
SWEEP_LIMIT = 100


# --- building ------------------------------------------------------------------------------


@dataclass
class _File:
    path: str  # inside the package's root folder
    data: bytes
    mime: str
    created: dt.datetime

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _id() -> str:
    return f"uuid-{uuid.uuid4()}"


def _iso(value: dt.datetime | None) -> str:
    return timezone.localtime(value or timezone.now()).isoformat(timespec="seconds")


def _m(tag: str) -> str:
    return f"{{{METS_NS}}}{tag}"


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class _PackageReader:
    """Reads the removal log for the package: no confidential reader (MOD-3).

    The package leaves the system for the e-archive, so a record under sekretess goes in
    with its facts and chain hash and "Sekretess" instead of its content, as it does for
    anyone who is not among its readers ("Gallra otillåtna inlägg/kommentarer").
    """

    pk = None
    is_authenticated = False
    is_active = False

    def __init__(self, name: str) -> None:
        self.full_name = name


def build(package: DeliveryPackage, *, progress: Callable[[int, str], None]) -> tuple[bytes, int]:
    """Build the package's ZIP; return its bytes and the number of files in it.

    The stored PDF/A files go in only when they match their recorded SHA-256 (a changed
    file must never travel with metadata that vouches for it): PackageError otherwise.
    """
    from archive.storage import archive_storage, open_file

    selection = selection_of(package)
    builder = package.requested_by.full_name if package.requested_by else package.requested_via
    now = timezone.now()
    data_files: list[_File] = []
    names: set[str] = set()

    def data_name(name: str) -> str:
        stem, dot, ext = name.rpartition(".")
        candidate, n = name, 1
        while candidate in names:
            n += 1
            candidate = f"{stem} ({n}).{ext}" if dot else f"{name} ({n})"
        names.add(candidate)
        return f"{REP}/data/{candidate}"

    storage = archive_storage()
    snapshot_files: dict[int, _File] = {}
    total = max(len(selection.snapshots), 1)
    for index, snapshot in enumerate(selection.snapshots, start=1):
        progress(
            5 + 50 * index // total,
            _("Läser uttag %(n)d av %(total)d") % {"n": index, "total": len(selection.snapshots)},
        )
        if not storage.exists(snapshot.file_name):
            raise PackageError(_("Filen %(name)s saknas.") % {"name": snapshot.file_name})
        with open_file(snapshot.file_name) as handle:
            data = handle.read()
        if hashlib.sha256(data).hexdigest() != snapshot.sha256:
            raise PackageError(
                _("Filen %(name)s stämmer inte med sin registrerade kontrollsumma.")
                % {"name": snapshot.file_name}
            )
        file = _File(
            data_name(snapshot.download_name), data, "application/pdf", snapshot.stored_at or now
        )
        snapshot_files[snapshot.pk] = file
        data_files.append(file)

    progress(60, _("Skriver loggen över borttagna inlägg"))
    from moderation import export

    reader = _PackageReader(builder)
    records = list(selection.records())
    limit = export.pdf_max_records()
    chunks = [records[i : i + limit] for i in range(0, len(records), limit)] or [[]]
    log_files = []
    for number, chunk in enumerate(chunks, start=1):
        suffix = f" del {number}" if len(chunks) > 1 else ""
        title = _("Borttagna inlägg: %(label)s") % {"label": selection.label} + suffix
        pdf = export.records_pdf(chunk, reader, title=title)
        log_files.append(
            _File(
                data_name(f"Borttagna inlägg {selection.label}{suffix}.pdf"),
                pdf,
                "application/pdf",
                now,
            )
        )
    hashes = _File(
        data_name(f"Borttagna inlägg {selection.label} kontrollsummor.csv"),
        export.records_csv(records, reader).encode("utf-8"),
        "text/csv",
        now,
    )
    progress(70, _("Skriver kontoregistret"))
    from registry.export import as_csv, register_queryset

    register = _File(
        data_name(f"Kontoregister {selection.label}.csv"),
        as_csv(register_queryset().filter(pk__in=[a.pk for a in selection.accounts])),
        "text/csv",
        now,
    )
    data_files += [*log_files, hashes, register]

    progress(80, _("Skriver metadata"))
    description = _File(
        "metadata/descriptive/beskrivning.xml",
        _description(package, selection, snapshot_files, records, log_files[0], hashes),
        "text/xml",
        now,
    )
    tokens = {
        s.pk: _File(
            f"metadata/preservation/tidsstamplar/{snapshot_files[s.pk].sha256}.tsr",
            bytes(s.timestamp_token),
            "application/timestamp-reply",
            s.timestamp_at or now,
        )
        for s in selection.snapshots
        if s.timestamp_status == Snapshot.TimestampStatus.STAMPED and s.timestamp_token
    }
    premis = _File(
        "metadata/preservation/premis.xml",
        _premis(package, selection, snapshot_files, data_files, builder),
        "text/xml",
        now,
    )
    schemas = [
        _File(f"schemas/{name}", (SCHEMA_DIR / name).read_bytes(), "text/xml", now)
        for name in SCHEMAS
    ]
    documentation = _File(
        "documentation/Om leveransen.txt",
        _documentation(package, selection, builder).encode("utf-8"),
        "text/plain",
        now,
    )
    rep_mets = _File(f"{REP}/METS.xml", _rep_mets(package, data_files, now), "text/xml", now)
    root_mets = _root_mets(
        package,
        selection,
        builder=builder,
        description=description,
        preservation=[premis, *tokens.values()],
        documentation=[documentation],
        schemas=schemas,
        rep_mets=rep_mets,
        data_files=data_files,
        now=now,
    )
    progress(90, _("Packar ZIP-filen"))
    files = [
        _File("METS.xml", root_mets, "text/xml", now),
        description,
        premis,
        *tokens.values(),
        rep_mets,
        *data_files,
        *schemas,
        documentation,
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # E-ARK: the root folder of the unpacked package is named after its OBJID.
        for file in files:
            archive.writestr(f"{package.object_id}/{file.path}", file.data)
    return buffer.getvalue(), len(files)


def _description(
    package: DeliveryPackage,
    selection: Selection,
    snapshot_files: dict[int, _File],
    records: list[Any],
    log: _File,
    hashes: _File,
) -> bytes:
    """metadata/descriptive/beskrivning.xml: the account(s), office, period and records."""
    E = f"{{{DESCRIPTION_NS}}}"
    root = etree.Element(
        E + "leverans",
        nsmap={None: DESCRIPTION_NS, "xsi": XSI_NS},
        version=DESCRIPTION_VERSION,
        paket=package.object_id,
        skapad=_iso(package.started_at),
    )
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{DESCRIPTION_NS} ../../schemas/arkivleverans-1.0.xsd")
    etree.SubElement(root, E + "arkivbildare").text = settings.ORGANISATION_NAME
    etree.SubElement(root, E + "omfattning").text = str(package.get_scope_display())
    if selection.start is not None and selection.end is not None:
        period = etree.SubElement(
            root,
            E + "period",
            start=selection.start.isoformat(),
            slut=(selection.end - dt.timedelta(days=1)).isoformat(),
        )
        period.text = selection.period
    if selection.office is not None:
        office = etree.SubElement(root, E + "kontor", id=str(selection.office.pk))
        office.text = selection.office.name
    accounts = etree.SubElement(root, E + "konton")
    for account in selection.accounts:
        node = etree.SubElement(accounts, E + "konto", id=f"konto-{account.pk}")
        for tag, value in (
            ("plattform", account.platform.name),
            ("namn", account.name),
            ("adress", account.url),
            ("verksamhet", account.department.name),
            ("kontor", account.department.office.name),
            ("status", str(account.get_state_display())),
        ):
            etree.SubElement(node, E + tag).text = value
        if account.activated_at:
            etree.SubElement(node, E + "aktivtFran").text = _iso(account.activated_at)
        if account.closed_at:
            etree.SubElement(node, E + "avslutat").text = _iso(account.closed_at)
    captures = etree.SubElement(root, E + "uttagen")
    for snapshot in selection.snapshots:
        node = etree.SubElement(
            captures,
            E + "uttag",
            id=f"uttag-{snapshot.pk}",
            konto=f"konto-{snapshot.account_id}",
            fil=snapshot_files[snapshot.pk].path,
        )
        etree.SubElement(node, E + "period").text = snapshot.period
        etree.SubElement(node, E + "sammanhang").text = snapshot.context_label
        if snapshot.captured_at:
            etree.SubElement(node, E + "hamtad").text = _iso(snapshot.captured_at)
        etree.SubElement(node, E + "adress").text = snapshot.final_url or snapshot.source_url
        etree.SubElement(node, E + "metod").text = str(snapshot.get_method_display())
        etree.SubElement(node, E + "sha256").text = snapshot.sha256
        if snapshot.page_count is not None:
            etree.SubElement(node, E + "sidor").text = str(snapshot.page_count)
        etree.SubElement(node, E + "pdfa").text = f"PDF/A-{snapshot.pdfa_variant}"
        etree.SubElement(node, E + "validering").text = (
            f"{'godkänd' if snapshot.validation_passed else 'ej godkänd'}: "
            f"{snapshot.validator} {snapshot.validator_version}".strip()
        )
        if snapshot.timestamp_at:
            etree.SubElement(node, E + "tidsstampel").text = _iso(snapshot.timestamp_at)
    removed = etree.SubElement(
        root,
        E + "borttagnaInlagg",
        antal=str(len(records)),
        fil=log.path,
        kontrollsummor=hashes.path,
    )
    for record in records:
        etree.SubElement(
            removed,
            E + "borttaget",
            lopnummer=str(record.position),
            konto=f"konto-{record.account_id}",
            borttaget=_iso(record.removed_at),
            typ=str(record.get_kind_display()),
            sekretess="true" if record.line_confidential else "false",
            kontrollsumma=record.record_hash,
        )
    gaps = etree.SubElement(root, E + "luckor")
    for gap in package.confirmed_gaps:
        etree.SubElement(gaps, E + "lucka", konto=gap["account"]).text = gap["problem"]
    return _xml(root)


def _premis(
    package: DeliveryPackage,
    selection: Selection,
    snapshot_files: dict[int, _File],
    data_files: list[_File],
    builder: str,
) -> bytes:
    """metadata/preservation/premis.xml (PREMIS 3): each data file's fixity and format, the
    capture, validation, checksum and timestamp events of each snapshot, and the agents."""
    P = f"{{{PREMIS_NS}}}"
    root = etree.Element(P + "premis", nsmap={"premis": PREMIS_NS, "xsi": XSI_NS}, version="3.0")
    root.set(
        f"{{{XSI_NS}}}schemaLocation",
        f"{PREMIS_NS} https://www.loc.gov/standards/premis/premis.xsd",
    )
    events: list[tuple[str, str, str, str, str, list[str], str]] = []
    agents: dict[str, tuple[str, str]] = {
        "organisation": (settings.ORGANISATION_NAME, "organization"),
        "programvara": (f"{SOFTWARE_NAME} {SOFTWARE_VERSION}", "software"),
    }
    if builder:
        agents["paketerare"] = (builder, "person")
    by_path = {f.path: s for s, f in ((s, snapshot_files[s.pk]) for s in selection.snapshots)}

    def identifier(parent: etree._Element, kind: str, value: str) -> None:
        node = etree.SubElement(parent, P + f"{kind}Identifier")
        etree.SubElement(node, P + f"{kind}IdentifierType").text = "local"
        etree.SubElement(node, P + f"{kind}IdentifierValue").text = value

    for file in data_files:
        obj = etree.SubElement(root, P + "object")
        obj.set(f"{{{XSI_NS}}}type", "premis:file")
        identifier(obj, "object", file.path)
        chars = etree.SubElement(obj, P + "objectCharacteristics")
        etree.SubElement(chars, P + "compositionLevel").text = "0"
        fixity = etree.SubElement(chars, P + "fixity")
        etree.SubElement(fixity, P + "messageDigestAlgorithm").text = "SHA-256"
        etree.SubElement(fixity, P + "messageDigest").text = file.sha256
        etree.SubElement(fixity, P + "messageDigestOriginator").text = SOFTWARE_NAME
        etree.SubElement(chars, P + "size").text = str(len(file.data))
        fmt = etree.SubElement(etree.SubElement(chars, P + "format"), P + "formatDesignation")
        snapshot = by_path.get(file.path)
        if file.mime == "application/pdf":
            variant = snapshot.pdfa_variant if snapshot else ""
            etree.SubElement(fmt, P + "formatName").text = "PDF/A"
            etree.SubElement(fmt, P + "formatVersion").text = (
                variant or settings.ARCHIVE_PDFA_VARIANT
            )
        else:
            etree.SubElement(fmt, P + "formatName").text = file.mime
        etree.SubElement(obj, P + "originalName").text = file.path.rsplit("/", 1)[-1]
        if snapshot is None:
            continue
        base = f"uttag-{snapshot.pk}"
        where = snapshot.final_url or snapshot.source_url
        events.append(
            (
                f"{base}-hamtning",
                "capture",
                _iso(snapshot.captured_at),
                f"{snapshot.get_method_display()}: {where}",
                "success",
                [file.path],
                "programvara",
            )
        )
        validator = f"{snapshot.validator} {snapshot.validator_version}".strip() or "pikepdf"
        agents.setdefault(f"validerare-{validator}", (validator, "software"))
        events.append(
            (
                f"{base}-validering",
                "validation",
                _iso(snapshot.stored_at),
                f"PDF/A-{snapshot.pdfa_variant}: "
                + ("; ".join(snapshot.validation_messages) or "godkänd"),
                "pass" if snapshot.validation_passed else "fail",
                [file.path],
                f"validerare-{validator}",
            )
        )
        events.append(
            (
                f"{base}-kontrollsumma",
                "message digest calculation",
                _iso(snapshot.stored_at),
                f"SHA-256 {snapshot.sha256}",
                "success",
                [file.path],
                "programvara",
            )
        )
        if snapshot.timestamp_status == Snapshot.TimestampStatus.STAMPED and snapshot.timestamp_at:
            agents.setdefault(
                f"tsa-{snapshot.timestamp_tsa}", (snapshot.timestamp_tsa, "organization")
            )
            events.append(
                (
                    f"{base}-tidsstampel",
                    "digital signature generation",
                    _iso(snapshot.timestamp_at),
                    f"RFC 3161-tidsstämpel över SHA-256 {snapshot.sha256} "
                    f"(metadata/preservation/tidsstamplar/{file.sha256}.tsr)",
                    "success",
                    [file.path],
                    f"tsa-{snapshot.timestamp_tsa}",
                )
            )
    for event_id, kind, when, detail, outcome, objects, agent in events:
        event = etree.SubElement(root, P + "event")
        identifier(event, "event", event_id)
        etree.SubElement(event, P + "eventType").text = kind
        etree.SubElement(event, P + "eventDateTime").text = when
        info = etree.SubElement(event, P + "eventDetailInformation")
        etree.SubElement(info, P + "eventDetail").text = detail
        result = etree.SubElement(event, P + "eventOutcomeInformation")
        etree.SubElement(result, P + "eventOutcome").text = outcome
        link = etree.SubElement(event, P + "linkingAgentIdentifier")
        etree.SubElement(link, P + "linkingAgentIdentifierType").text = "local"
        etree.SubElement(link, P + "linkingAgentIdentifierValue").text = agent
        for path in objects:
            link = etree.SubElement(event, P + "linkingObjectIdentifier")
            etree.SubElement(link, P + "linkingObjectIdentifierType").text = "local"
            etree.SubElement(link, P + "linkingObjectIdentifierValue").text = path
    for agent_id, (name, kind) in agents.items():
        agent = etree.SubElement(root, P + "agent")
        identifier(agent, "agent", agent_id)
        etree.SubElement(agent, P + "agentName").text = name
        etree.SubElement(agent, P + "agentType").text = kind
    return _xml(root)


def _documentation(package: DeliveryPackage, selection: Selection, builder: str) -> str:
    lines = [
        f"Leverans till e-arkivet: {selection.label}",
        f"Arkivbildare: {settings.ORGANISATION_NAME}",
        f"Paket: {package.object_id}",
        f"Specifikation: {SPECIFICATION}",
        f"Skapat: {_iso(package.started_at)} av {builder} med {SOFTWARE_NAME} {SOFTWARE_VERSION}",
        "",
        "Innehåll:",
        "- METS.xml: paketets METS (E-ARK SIP-profil); varje fil med storlek, SHA-256",
        "  och MIME-typ.",
        "- metadata/descriptive/beskrivning.xml: konton, kontor, period, uttag och borttagna",
        "  inlägg (schema: schemas/arkivleverans-1.0.xsd).",
        "- metadata/preservation/premis.xml: PREMIS 3 med kontrollsummor, hämtning, validering",
        "  och tidsstämplar; tidsstamplar/*.tsr är RFC 3161-svar (openssl ts -reply -in).",
        "- representations/rep1/data: PDF/A-uttagen av kontonas sidor, loggen över borttagna",
        "  inlägg som PDF/A och som CSV med varje posts kontrollsumma, samt utdrag ur",
        "  kontoregistret (CSV, semikolonseparerad, UTF-8).",
        "",
        "Poster under sekretess visar sina uppgifter och kontrollsumma men inte innehållet.",
    ]
    if package.confirmed_gaps:
        lines += ["", "Luckor som arkivarien bekräftade innan paketet byggdes:"]
        lines += [f"- {gap['account']}: {gap['problem']}" for gap in package.confirmed_gaps]
    return "\n".join(lines) + "\n"


def _file_element(parent: etree._Element, file: _File, href: str) -> etree._Element:
    node = etree.SubElement(
        parent,
        _m("file"),
        ID=_id(),
        MIMETYPE=file.mime,
        SIZE=str(len(file.data)),
        CREATED=_iso(file.created),
        CHECKSUM=file.sha256,
        CHECKSUMTYPE="SHA-256",
    )
    locat = etree.SubElement(node, _m("FLocat"), LOCTYPE="URL")
    locat.set(f"{{{XLINK_NS}}}type", "simple")
    locat.set(f"{{{XLINK_NS}}}href", href)
    return node


def _md_ref(parent: etree._Element, file: _File, mdtype: str, other: str = "") -> None:
    ref = etree.SubElement(
        parent,
        _m("mdRef"),
        LOCTYPE="URL",
        MDTYPE=mdtype,
        MIMETYPE=file.mime,
        SIZE=str(len(file.data)),
        CREATED=_iso(file.created),
        CHECKSUM=file.sha256,
        CHECKSUMTYPE="SHA-256",
    )
    if other:
        ref.set("OTHERMDTYPE", other)
    ref.set(f"{{{XLINK_NS}}}type", "simple")
    ref.set(f"{{{XLINK_NS}}}href", file.path)


def _mets_root(objid: str, label: str) -> etree._Element:
    root = etree.Element(
        _m("mets"),
        nsmap={None: METS_NS, "xlink": XLINK_NS, "xsi": XSI_NS, "csip": CSIP_NS, "sip": SIP_NS},
        OBJID=objid,
        LABEL=label,
        TYPE=CONTENT_CATEGORY,
        PROFILE=SIP_PROFILE,
    )
    root.set(f"{{{CSIP_NS}}}CONTENTINFORMATIONTYPE", "OTHER")
    root.set(f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE", CONTENT_INFORMATION_TYPE)
    return root


def _header(root: etree._Element, package: DeliveryPackage, builder: str, now: dt.datetime) -> None:
    header = etree.SubElement(
        root, _m("metsHdr"), CREATEDATE=_iso(now), LASTMODDATE=_iso(now), RECORDSTATUS="NEW"
    )
    header.set(f"{{{CSIP_NS}}}OAISPACKAGETYPE", "SIP")
    # CSIP10-16: the software that made the package.
    software = etree.SubElement(
        header, _m("agent"), ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE"
    )
    etree.SubElement(software, _m("name")).text = SOFTWARE_NAME
    note = etree.SubElement(software, _m("note"))
    note.text = SOFTWARE_VERSION
    note.set(f"{{{CSIP_NS}}}NOTETYPE", "SOFTWARE VERSION")
    # The organisation, in the roles FGS Paketstruktur gives the Swedish parties: the
    # archival creator (arkivbildare, ARCHIVIST), the information owner (IPOWNER), and the
    # submitting organisation (levererande organisation, OTHER/SUBMITTER) with the person
    # who built the package as its individual. Only the software is CREATOR: CSIP10-16
    # make every CREATOR agent the software that made the package.
    code = getattr(settings, "ORGANISATION_NUMBER", "")
    for role, other_role, kind, name in (
        ("ARCHIVIST", "", "ORGANIZATION", settings.ORGANISATION_NAME),
        ("IPOWNER", "", "ORGANIZATION", settings.ORGANISATION_NAME),
        ("OTHER", "SUBMITTER", "ORGANIZATION", settings.ORGANISATION_NAME),
        ("OTHER", "SUBMITTER", "INDIVIDUAL", builder),
    ):
        if not name:
            continue
        agent = etree.SubElement(header, _m("agent"), ROLE=role, TYPE=kind)
        if other_role:
            agent.set("OTHERROLE", other_role)
        etree.SubElement(agent, _m("name")).text = name
        if code and kind == "ORGANIZATION":
            note = etree.SubElement(agent, _m("note"))
            note.text = code
            note.set(f"{{{CSIP_NS}}}NOTETYPE", "IDENTIFICATIONCODE")


def _rep_mets(package: DeliveryPackage, data_files: list[_File], now: dt.datetime) -> bytes:
    """representations/rep1/METS.xml: the representation's own files (paths relative to it)."""
    root = _mets_root("rep1", _("Representation 1 av %(id)s") % {"id": package.object_id})
    _header(root, package, "", now)
    file_sec = etree.SubElement(root, _m("fileSec"), ID=_id())
    group = etree.SubElement(file_sec, _m("fileGrp"), ID=_id(), USE="Data")
    group.set(f"{{{CSIP_NS}}}CONTENTINFORMATIONTYPE", "OTHER")
    group.set(f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE", CONTENT_INFORMATION_TYPE)
    ids = [_file_element(group, f, f.path.removeprefix(f"{REP}/")).get("ID") for f in data_files]
    struct = etree.SubElement(root, _m("structMap"), ID=_id(), TYPE="PHYSICAL", LABEL="CSIP")
    top = etree.SubElement(struct, _m("div"), ID=_id(), LABEL="rep1")
    data = etree.SubElement(top, _m("div"), ID=_id(), LABEL="Data")
    for file_id in ids:
        etree.SubElement(data, _m("fptr"), FILEID=str(file_id))
    return _xml(root)


def _root_mets(
    package: DeliveryPackage,
    selection: Selection,
    *,
    builder: str,
    description: _File,
    preservation: list[_File],
    documentation: list[_File],
    schemas: list[_File],
    rep_mets: _File,
    data_files: list[_File],
    now: dt.datetime,
) -> bytes:
    """The package's METS.xml (E-ARK CSIP/SIP 2.1.0, FGS Paketstruktur 2.0)."""
    root = _mets_root(package.object_id, selection.label)
    root.set(
        f"{{{XSI_NS}}}schemaLocation",
        " ".join(f"{ns} schemas/{name}" for name, ns in SCHEMAS.items() if ns != DESCRIPTION_NS),
    )
    _header(root, package, builder, now)
    dmd = etree.SubElement(root, _m("dmdSec"), ID=_id(), CREATED=_iso(now), STATUS="CURRENT")
    _md_ref(dmd, description, "OTHER", "Arkivleverans 1.0")
    amd = etree.SubElement(root, _m("amdSec"), ID=_id())
    for file in preservation:
        digiprov = etree.SubElement(amd, _m("digiprovMD"), ID=_id(), STATUS="CURRENT")
        if file.path.endswith(".xml"):
            _md_ref(digiprov, file, "PREMIS")
        else:
            _md_ref(digiprov, file, "OTHER", "RFC 3161 TimeStampResp")
    file_sec = etree.SubElement(root, _m("fileSec"), ID=_id())

    def group(use: str, files: list[_File]) -> str:
        node = etree.SubElement(file_sec, _m("fileGrp"), ID=_id(), USE=use)
        # CSIP62/63: every file group names the content information type.
        node.set(f"{{{CSIP_NS}}}CONTENTINFORMATIONTYPE", "OTHER")
        node.set(f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE", CONTENT_INFORMATION_TYPE)
        for file in files:
            _file_element(node, file, file.path)
        return str(node.get("ID"))

    documentation_id = group("Documentation", documentation)
    schemas_id = group("Schemas", schemas)
    representation_id = group("Representations/rep1", [rep_mets, *data_files])
    struct = etree.SubElement(root, _m("structMap"), ID=_id(), TYPE="PHYSICAL", LABEL="CSIP")
    top = etree.SubElement(struct, _m("div"), ID=_id(), LABEL=package.object_id)
    etree.SubElement(
        top,
        _m("div"),
        ID=_id(),
        LABEL="Metadata",
        DMDID=str(dmd.get("ID")),
        ADMID=" ".join(str(d.get("ID")) for d in amd),
    )
    for label, group_id in (("Documentation", documentation_id), ("Schemas", schemas_id)):
        div = etree.SubElement(top, _m("div"), ID=_id(), LABEL=label)
        etree.SubElement(div, _m("fptr"), FILEID=group_id)
    # The content division points to the representation's file group and holds one
    # division per representation, with the pointer to its METS (CSIP102-112).
    content = etree.SubElement(top, _m("div"), ID=_id(), LABEL="Representations")
    etree.SubElement(content, _m("fptr"), FILEID=representation_id)
    rep = etree.SubElement(content, _m("div"), ID=_id(), LABEL="Representations/rep1")
    pointer = etree.SubElement(rep, _m("mptr"), LOCTYPE="URL")
    pointer.set(f"{{{XLINK_NS}}}type", "simple")
    pointer.set(f"{{{XLINK_NS}}}href", rep_mets.path)
    pointer.set(f"{{{XLINK_NS}}}title", representation_id)
    return _xml(root)


# --- the worker's part ---------------------------------------------------------------------


def package_name(package: DeliveryPackage) -> str:
    """Return the stored ZIP's name, e.g. "Paket/Kultur och fritid 2026-H1 uuid-….zip"."""
    from archive.storage import clean_part

    if package.scope == DeliveryPackage.Scope.CLOSING:
        assert package.account is not None
        label = f"{package.account.platform.name} {package.account.name} vid avslut"
    else:
        assert package.office is not None
        label = f"{package.office.name} {package.period}"
    return f"{PACKAGE_FOLDER}/{clean_part(label)} {package.object_id}.zip"


def _store(package: DeliveryPackage, data: bytes) -> str:
    """Store the ZIP under ARCHIVE_ROOT/Paket atomically (temporary file, fsync, link)."""
    from archive import storage as files

    name = package_name(package)
    tmp = files.write_temp(PACKAGE_FOLDER, data, tag=f"package-{package.pk}")
    try:
        if files.link_final(tmp, name, data):
            return name
        if files.sha256_of(name) == hashlib.sha256(data).hexdigest():
            return name
        # The name holds the package's OBJID, which no other row has: the file there is an
        # earlier attempt's, linked by a worker killed before it recorded it. No row ever
        # vouched for it (the row is not READY and this attempt holds the claim), so it is
        # replaced by the package this attempt built and records.
        if package.attempts > 1 and package.mine().exists():
            files.archive_storage().delete(name)
            if files.link_final(tmp, name, data):
                return name
        raise PackageError(_("Filnamnet %(name)s är upptaget.") % {"name": name})
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def process_package(package_id: int) -> DeliveryPackage | None:
    """Build, store and record one package; safe to call twice (the row is claimed).

    The slow part (reading files, rendering the removal log, zipping) runs outside any
    transaction; only the final bookkeeping with its audit event is one.
    """
    from archive.services import heartbeat
    from archive.storage import remove_temp_files

    if not DeliveryPackage.claim(package_id):
        return None
    package = DeliveryPackage.objects.select_related(
        "office", "account__platform", "account__department", "requested_by"
    ).get(pk=package_id)
    try:
        # Beaten while building: a killed worker's package is taken over (claim) within
        # ARCHIVE_HEARTBEAT_TIMEOUT seconds by the sweep or a redelivered message.
        with heartbeat(package.mine(), f"package-{package.pk}"):
            remove_temp_files(PACKAGE_FOLDER, f"package-{package.pk}")  # a killed attempt's
            data, count = build(package, progress=package.advance)
            package.advance(95, _("Sparar paketet"))
            name = _store(package, data)
    except Exception as exc:  # noqa: BLE001 - every failure is shown on the package's page
        message = str(exc) if isinstance(exc, PackageError) else f"{type(exc).__name__}: {exc}"
        with transaction.atomic():
            if not package.mine().update(
                status=DeliveryPackage.Status.FAILED,
                last_error=message[:4000],
                finished_at=timezone.now(),
                updated_at=timezone.now(),
            ):
                return None  # taken over meanwhile: the other attempt answers for it
            AuditEvent.record(
                actor=None,
                action="archive.package_failed",
                target=package,
                details={"package": package.object_id, "error": message[:500]},
            )
        package.refresh_from_db()
        return package
    with transaction.atomic():
        if not package.mine().update(
            status=DeliveryPackage.Status.READY,
            file_name=name,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            file_count=count,
            progress=100,
            step="",
            last_error="",
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        ):
            return None  # taken over meanwhile: the other attempt records its own
        package.refresh_from_db()
        AuditEvent.record(
            actor=None,
            action="archive.package_stored",
            target=package,
            details={"file": name, "sha256": package.sha256, "files": count},
        )
    return package


def retry_package(*, package: DeliveryPackage, by: User) -> bool:
    """Queue a failed package again (the same OBJID: it never left the system).

    Its attempts start again: ARCHIVE_MAX_ATTEMPTS caps the takeovers of one request.
    """
    with transaction.atomic():
        updated = DeliveryPackage.objects.filter(
            pk=package.pk, status=DeliveryPackage.Status.FAILED
        ).update(
            status=DeliveryPackage.Status.QUEUED,
            attempts=0,
            progress=0,
            step="",
            last_error="",
            published_at=None,
            heartbeat_at=None,
        )
        if not updated:
            return False
        AuditEvent.record(actor=by, action="archive.package_retried", target=package)
        _queue(package)
    return True
