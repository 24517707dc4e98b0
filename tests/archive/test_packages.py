"""Delivery packages for the e-archive (issue 10, FGS Paketstruktur 2.0 / E-ARK SIP 2.1.0):
built from captured pages, validated by the E-ARK validator on its own, stored with their
own checksum, audited, downloaded only through a permission check."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import threading
import urllib.request
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from lxml import etree

from accounts.models import AuditEvent
from archive import packages
from archive.models import DeliveryPackage, Snapshot, period_for
from archive.storage import archive_storage
from tests.archive.helpers import stored_snapshot

pytestmark = pytest.mark.django_db

VOCABULARIES = Path(settings.BASE_DIR).parent / "shared" / "eark-vocabularies"
VOCABULARY_URL = "https://earkcsip.dilcis.eu/schema/"


# --- the E-ARK validator, with its vocabularies served from this machine ---------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@functools.cache
def _validator():
    """Import eark_validator with its four CSIP vocabularies served from 127.0.0.1.

    The validator downloads them from earkcsip.dilcis.eu when it is imported (module
    eark_validator.ipxml.schematron, through urllib's urlopen). For that import only,
    urlopen is one that sends those addresses to a local server holding the copies in
    ../shared/eark-vocabularies and refuses every other address: nothing leaves loopback.
    """
    handler = functools.partial(_Quiet, directory=str(VOCABULARIES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    local = f"http://127.0.0.1:{server.server_address[1]}/"
    real = urllib.request.urlopen

    def local_only(url, *args, **kwargs):
        if not isinstance(url, str) or not url.startswith(VOCABULARY_URL):
            raise AssertionError(f"The validator asked for {url!r}: not allowed in the tests")
        return real(local + url.removeprefix(VOCABULARY_URL), *args, **kwargs)

    urllib.request.urlopen = local_only
    try:
        from eark_validator import packages as validator
    finally:
        urllib.request.urlopen = real
        server.shutdown()
        server.server_close()
    return validator


def validate(zip_bytes: bytes, tmp_path: Path):
    """Unpack a package and return the E-ARK validator's report on it."""
    target = tmp_path / "unpacked"
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        archive.extractall(target)
    (root,) = list(target.iterdir())
    return _validator().PackageValidator(root).validation_report, root


def assert_valid(report, root: Path) -> None:
    """Structure valid, and no ERROR from the schema or the Schematron rules.

    One message is not the package's: eark-validator 1.1.3's SIP14 asks every note of a
    CREATOR agent for an unqualified NOTETYPE="IDENTIFICATIONCODE". The METS schema
    allows no unqualified attribute on a note (the SIP attribute is csip:NOTETYPE), and
    CSIP10-16 of the same validator require the one CREATOR agent, the software, to have
    exactly one note with csip:NOTETYPE="SOFTWARE VERSION"; no METS document satisfies
    both. SIP14 is let through only for that note of that agent, checked in the file.
    """
    structure = report.structure
    # The validator's word for a package whose structure is as CSIP requires.
    assert structure.status.value == "WellFormed", structure.messages
    assert [m for m in structure.messages if m.severity.value.lower() == "error"] == []
    schema = report.metadata.schema_results
    assert schema.status.value == "VALID", schema.messages
    mets = etree.parse(str(root / "METS.xml"))
    software_notes = mets.xpath(
        "/m:mets/m:metsHdr/m:agent[@ROLE='CREATOR']/m:note",
        namespaces={"m": packages.METS_NS},
    )
    assert len(software_notes) == 1
    assert software_notes[0].get(f"{{{packages.CSIP_NS}}}NOTETYPE") == "SOFTWARE VERSION"
    assert software_notes[0].getparent().get("OTHERTYPE") == "SOFTWARE"
    errors = [
        f"{m.rule_id}: {m.message} {m.location}"
        for m in report.metadata.schematron_results.messages
        if m.severity.value.lower() == "error"
        and not (
            m.rule_id == "SIP14"
            and m.location.endswith(
                "[1]/*[local-name()='note' and namespace-uri()='http://www.loc.gov/METS/']"
            )
        )
    ]
    assert errors == [], "\n".join(errors)


# --- building -------------------------------------------------------------------------------

SECRET = "Personnummer 19800101-1234 i en kommentar"


def _removal(account, by, **extra):
    import datetime as dt

    from moderation import services as moderation
    from moderation.models import RegistrationDecision, RemovalReason

    now = timezone.now()
    fields = {
        "account": account,
        "reason": RemovalReason.objects.get(code="krankande"),
        "kind": "comment",
        "posted_at": now - dt.timedelta(hours=2),
        "removed_at": now - dt.timedelta(hours=1),
        "motivation": "Personangrepp mot en annan besökare",
        "registration_decision": RegistrationDecision.PASSING,
        "content": "Du är en idiot",
        "sender_name": "Arg Person",
    }
    fields.update(extra)
    return moderation.log_removal(by=by, **fields)


def _build(package: DeliveryPackage) -> DeliveryPackage:
    result = packages.process_package(package.pk)
    assert result is not None
    return result


def _stored_bytes(package: DeliveryPackage) -> bytes:
    with archive_storage().open(package.file_name, "rb") as handle:
        return handle.read()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}


M = {"m": packages.METS_NS, "xlink": packages.XLINK_NS, "p": packages.PREMIS_NS}


def test_package_of_stored_snapshots_is_valid_e_ark_sip(account_a, archivist, deputy, tmp_path):
    snapshot = stored_snapshot(account_a)
    record = _removal(account_a, deputy)
    package = packages.request_package(
        office=account_a.department.office, period=snapshot.period, by=archivist
    )
    package = _build(package)
    assert package.status == DeliveryPackage.Status.READY, package.last_error
    assert package.progress == 100
    data = _stored_bytes(package)
    assert hashlib.sha256(data).hexdigest() == package.sha256
    assert package.size == len(data)
    assert package.file_name.startswith("Paket/")
    report, root = validate(data, tmp_path)
    assert_valid(report, root)
    assert root.name == package.object_id

    files = _members(data)
    assert package.file_count == len(files)
    mets = etree.fromstring(files["METS.xml"])
    assert mets.get("OBJID") == package.object_id
    assert mets.get("PROFILE") == packages.SIP_PROFILE
    header = mets.find("m:metsHdr", M)
    assert header.get(f"{{{packages.CSIP_NS}}}OAISPACKAGETYPE") == "SIP"
    agents = {(a.get("ROLE"), a.findtext("m:name", namespaces=M)) for a in header}
    assert ("ARCHIVIST", settings.ORGANISATION_NAME) in agents
    assert ("OTHER", archivist.full_name) in agents
    # Every file of the package is listed with its size, SHA-256 and MIME type (files in
    # the fileSec, metadata in mdRef), and the listing matches the bytes.
    listed = {}
    for node in mets.xpath("//m:file | //m:mdRef", namespaces=M):
        href = node.get(f"{{{packages.XLINK_NS}}}href") or node.find("m:FLocat", M).get(
            f"{{{packages.XLINK_NS}}}href"
        )
        listed[href] = node
    assert set(listed) == set(files) - {"METS.xml"}
    for path, node in listed.items():
        assert node.get("CHECKSUMTYPE") == "SHA-256"
        assert node.get("CHECKSUM") == hashlib.sha256(files[path]).hexdigest(), path
        assert int(node.get("SIZE")) == len(files[path])
        assert node.get("MIMETYPE")

    data_files = [p for p in files if p.startswith("representations/rep1/data/")]
    assert f"representations/rep1/data/{snapshot.download_name}" in data_files
    assert files[f"representations/rep1/data/{snapshot.download_name}"] == _file(snapshot)
    log_pdf = next(p for p in data_files if p.endswith(".pdf") and "Borttagna" in p)
    from nykvarn_sm.lib import pdfa

    assert pdfa.validate_pdfa(files[log_pdf]).passed
    hashes = next(p for p in data_files if p.endswith("kontrollsummor.csv"))
    assert record.record_hash in files[hashes].decode("utf-8")
    register = next(p for p in data_files if "Kontoregister" in p)
    assert account_a.name in files[register].decode("utf-8")
    rep_mets = etree.fromstring(files["representations/rep1/METS.xml"])
    assert {
        "representations/rep1/" + f.get(f"{{{packages.XLINK_NS}}}href")
        for f in rep_mets.xpath("//m:FLocat", namespaces=M)
    } == set(data_files)

    # The description follows its schema, shipped in the package.
    description = etree.fromstring(files["metadata/descriptive/beskrivning.xml"])
    schema = etree.XMLSchema(etree.fromstring(files["schemas/arkivleverans-1.0.xsd"]))
    schema.assertValid(description)
    assert description.find(f"{{{packages.DESCRIPTION_NS}}}period").text == snapshot.period
    removed = description.find(f"{{{packages.DESCRIPTION_NS}}}borttagnaInlagg")
    assert removed.get("antal") == "1"
    assert removed[0].get("kontrollsumma") == record.record_hash
    # PREMIS: fixity of the snapshot's file, and its capture and validation events.
    premis = etree.fromstring(files["metadata/preservation/premis.xml"])
    digests = premis.xpath("//p:fixity/p:messageDigest/text()", namespaces=M)
    assert snapshot.sha256 in digests
    kinds = set(premis.xpath("//p:event/p:eventType/text()", namespaces=M))
    assert {"capture", "validation", "message digest calculation"} <= kinds
    assert settings.ORGANISATION_NAME in premis.xpath("//p:agentName/text()", namespaces=M)

    events = AuditEvent.objects.filter(target_id=package.pk, action__startswith="archive.package")
    assert set(events.values_list("action", flat=True)) == {
        "archive.package_requested",
        "archive.package_stored",
    }


def _file(snapshot) -> bytes:
    with archive_storage().open(snapshot.file_name, "rb") as handle:
        return handle.read()


def test_package_of_a_captured_page_is_valid(site_account, archivist, tmp_path, settings):
    """A page captured from the test site by the browser, as the planner would."""
    from archive import services

    settings.TSA_URL = ""
    snapshot = Snapshot.objects.create(
        account=site_account,
        period=period_for(timezone.localdate()),
        context=Snapshot.Context.PERIODIC,
        source_url=site_account.url,
    )
    outcome = services.process_snapshot(snapshot.pk)
    assert outcome.snapshot.status == Snapshot.Status.STORED, outcome.snapshot.last_error
    package = _build(
        packages.request_package(
            office=site_account.department.office, period=snapshot.period, by=archivist
        )
    )
    assert package.status == DeliveryPackage.Status.READY, package.last_error
    report, root = validate(_stored_bytes(package), tmp_path)
    assert_valid(report, root)
    premis = etree.parse(str(root / "metadata/preservation/premis.xml"))
    details = premis.xpath("//p:event[p:eventType='capture']//p:eventDetail/text()", namespaces=M)
    assert any(site_account.url in d for d in details)


def test_timestamp_tokens_travel_with_the_package(account_a, archivist, tmp_path):
    snapshot = stored_snapshot(account_a)
    Snapshot.objects.filter(pk=snapshot.pk).update(
        timestamp_status=Snapshot.TimestampStatus.STAMPED,
        timestamp_token=b"0\x03\x02\x01\x00",
        timestamp_at=timezone.now(),
        timestamp_tsa="http://127.0.0.1:9/tsa",
    )
    package = _build(
        packages.request_package(
            office=account_a.department.office, period=snapshot.period, by=archivist
        )
    )
    files = _members(_stored_bytes(package))
    assert (
        files[f"metadata/preservation/tidsstamplar/{snapshot.sha256}.tsr"] == b"0\x03\x02\x01\x00"
    )
    premis = etree.fromstring(files["metadata/preservation/premis.xml"])
    assert "digital signature generation" in premis.xpath(
        "//p:event/p:eventType/text()", namespaces=M
    )
    report, root = validate(_stored_bytes(package), tmp_path)
    assert_valid(report, root)


def test_confidential_content_stays_out_of_the_package(account_a, archivist, deputy, settings):
    settings.MODERATION_CONFIDENTIAL_READERS = ["communications", "archivist"]
    snapshot = stored_snapshot(account_a)
    record = _removal(account_a, deputy, content=SECRET, confidential=True)
    package = _build(
        packages.request_package(
            office=account_a.department.office, period=snapshot.period, by=archivist
        )
    )
    files = _members(_stored_bytes(package))
    from tests.archive.conftest import pdf_text

    everything = b"".join(v for k, v in files.items() if not k.endswith(".pdf")).decode(
        "utf-8", "replace"
    ) + "".join(pdf_text(v) for k, v in files.items() if k.endswith(".pdf") and "Borttagna" in k)
    assert "19800101-1234" not in everything
    assert record.record_hash in everything
    assert "Sekretess" in everything


def test_a_period_with_a_failed_snapshot_is_named_and_built_only_when_confirmed(
    account_a, archivist, tmp_path
):
    period = period_for(timezone.localdate())
    Snapshot.objects.create(
        account=account_a,
        period=period,
        context=Snapshot.Context.PERIODIC,
        source_url=account_a.url,
        status=Snapshot.Status.FAILED,
    )
    office = account_a.department.office
    with pytest.raises(packages.GapsNotConfirmed) as raised:
        packages.request_package(office=office, period=period, by=archivist)
    assert raised.value.gaps == [
        {"account": str(account_a), "problem": "det periodiska uttaget misslyckades"}
    ]
    assert not DeliveryPackage.objects.exists()

    package = _build(
        packages.request_package(office=office, period=period, confirmed=True, by=archivist)
    )
    assert package.status == DeliveryPackage.Status.READY, package.last_error
    assert package.confirmed_gaps == raised.value.gaps
    files = _members(_stored_bytes(package))
    assert (
        "det periodiska uttaget misslyckades" in files["documentation/Om leveransen.txt"].decode()
    )
    description = etree.fromstring(files["metadata/descriptive/beskrivning.xml"])
    gaps = description.find(f"{{{packages.DESCRIPTION_NS}}}luckor")
    assert [g.get("konto") for g in gaps] == [str(account_a)]
    report, root = validate(_stored_bytes(package), tmp_path)
    assert_valid(report, root)


def test_a_period_without_any_snapshot_is_a_gap(account_a, archivist):
    with pytest.raises(packages.GapsNotConfirmed) as raised:
        packages.request_package(
            office=account_a.department.office,
            period=period_for(timezone.localdate()),
            by=archivist,
        )
    assert raised.value.gaps[0]["problem"] == "inget periodiskt uttag finns"


def test_a_closing_account_gets_its_whole_archive(account_a, archivist, tmp_path):
    first = stored_snapshot(account_a, period="2025-H2")
    closing = stored_snapshot(account_a, context=Snapshot.Context.BEFORE_CLOSING)
    package = _build(packages.request_package(account=account_a, by=archivist))
    assert package.status == DeliveryPackage.Status.READY, package.last_error
    assert package.scope == DeliveryPackage.Scope.CLOSING
    files = _members(_stored_bytes(package))
    data = {p.rsplit("/", 1)[1] for p in files if p.startswith("representations/rep1/data/")}
    assert {first.download_name, closing.download_name} <= data
    report, root = validate(_stored_bytes(package), tmp_path)
    assert_valid(report, root)


def test_a_closing_account_without_a_closing_snapshot_is_asked_about(account_a, archivist):
    stored_snapshot(account_a)
    with pytest.raises(packages.GapsNotConfirmed) as raised:
        packages.request_package(account=account_a, by=archivist)
    assert raised.value.gaps[0]["problem"] == "inget lagrat uttag inför avslut"


def test_task_delivered_twice_builds_once(account_a, archivist):
    from archive.tasks import build_package

    snapshot = stored_snapshot(account_a)
    package = packages.request_package(
        office=account_a.department.office, period=snapshot.period, by=archivist
    )
    assert build_package(package.pk) == "ready"
    assert build_package(package.pk) == "not-claimed"
    package.refresh_from_db()
    assert package.attempts == 1
    assert list(Path(archive_storage().path("Paket")).iterdir()) == [
        Path(archive_storage().path(package.file_name))
    ]
    assert (
        AuditEvent.objects.filter(action="archive.package_stored", target_id=package.pk).count()
        == 1
    )


def test_a_changed_file_fails_the_package_and_nothing_is_stored(account_a, archivist):
    snapshot = stored_snapshot(account_a)
    Path(archive_storage().path(snapshot.file_name)).write_bytes(b"%PDF-1.4 utbytt")
    package = _build(
        packages.request_package(
            office=account_a.department.office, period=snapshot.period, by=archivist
        )
    )
    assert package.status == DeliveryPackage.Status.FAILED
    assert "stämmer inte med sin registrerade kontrollsumma" in package.last_error
    assert package.file_name == ""
    assert not archive_storage().exists("Paket") or not list(
        Path(archive_storage().path("Paket")).glob("*.zip")
    )
    assert AuditEvent.objects.filter(action="archive.package_failed", target_id=package.pk).exists()


def test_a_failed_package_can_be_built_again(account_a, archivist):
    snapshot = stored_snapshot(account_a)
    path = Path(archive_storage().path(snapshot.file_name))
    good = path.read_bytes()
    path.write_bytes(b"%PDF-1.4 utbytt")
    package = _build(
        packages.request_package(
            office=account_a.department.office, period=snapshot.period, by=archivist
        )
    )
    assert package.status == DeliveryPackage.Status.FAILED
    path.write_bytes(good)  # restored from the backup
    assert packages.retry_package(package=package, by=archivist)
    assert not packages.retry_package(package=package, by=archivist)
    package = _build(package)
    assert package.status == DeliveryPackage.Status.READY, package.last_error
