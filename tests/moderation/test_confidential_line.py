"""Confidentiality is decided per line of corrections (MOD-3): a record marked sekretess
through a correction restricts the original too, on every surface; the correction note is
masked like the content."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import permissions as perms
from moderation import services
from moderation.models import Evidence, RegistrationDecision, RemovedPost
from tests.moderation.conftest import SECRET, make_removal
from tests.moderation.test_export_pdf import pdf_text

pytestmark = pytest.mark.django_db

NOTE = "Innehållet nämner diagnosen hos en brukare – sekretess enligt OSL"


def _correct_to_confidential(record, by, note=NOTE):
    return services.correct_removal(
        by=by, record=record, correction_note=note, changes={"confidential": True}
    )


@pytest.fixture
def line(account_a, operator):
    """A normal record holding the secret, then a correction marking it confidential."""
    original = make_removal(
        account_a,
        operator,
        content=SECRET,
        registration_decision=RegistrationDecision.SPECIAL_INTEREST,
        evidence=[SimpleUploadedFile("journal.png", b"secret-image", "image/png")],
    )
    correction = _correct_to_confidential(original, operator)
    assert not original.confidential and correction.confidential
    return original, correction


def _fresh(record):
    """The record as a page that doesn't annotate would load it."""
    return RemovedPost.objects.get(pk=record.pk)


def _no_secret(body: str, where: str) -> None:
    # The search page echoes the query itself (field and language form).
    body = body.replace('diagnosen"', "").replace("=diagnosen", "")
    assert "19800101" not in body, where
    assert "diagnosen" not in body, where
    assert "Arg Person" not in body, where


def test_may_read_content_follows_the_line(request, line):
    original, correction = line
    for record in (_fresh(original), _fresh(correction)):
        assert record.line_confidential
        for name in ("administrator", "operator_b", "manager_b"):
            assert not perms.may_read_content(request.getfixturevalue(name), record), name
        for name in ("communications_officer", "operator", "deputy", "manager_a", "archivist"):
            assert perms.may_read_content(request.getfixturevalue(name), record), name
    annotated = RemovedPost.objects.with_line_confidentiality().get(pk=original.pk)
    assert annotated._line_confidential is True


def test_an_unrelated_record_stays_readable(account_a, operator, administrator, line):
    other = make_removal(account_a, operator, content="Vanlig reklam för en pizzeria")
    assert not _fresh(other).line_confidential
    assert perms.may_read_content(administrator, _fresh(other))
    annotated = RemovedPost.objects.with_line_confidentiality().get(pk=other.pk)
    assert annotated._line_confidential is False


def test_original_is_hidden_in_pages_search_and_exports(client, line, administrator):
    original, correction = line
    client.force_login(administrator)
    responses = {
        "detail": client.get(original.get_absolute_url()),
        "list": client.get(reverse("moderation:removal_list"), {"all": "1"}),
        "list search": client.get(reverse("moderation:removal_list"), {"all": "1", "q": "idiot"}),
        "search": client.get(reverse("moderation:search"), {"q": "diagnosen"}),
        "csv": client.get(reverse("moderation:removal_list"), {"all": "1", "format": "csv"}),
        "csv one": client.get(reverse("moderation:removal_export_one", args=[original.pk, "csv"])),
    }
    for where, response in responses.items():
        assert response.status_code == 200, where
        _no_secret(response.content.decode(), where)
    # The record still shows that it exists, marked as restricted.
    assert "Sekretess" in responses["detail"].content.decode()
    assert f">{original.position}</a>" in responses["list"].content.decode()
    # Search matches nothing in a restricted line.
    assert f"Post {original.position}" not in responses["search"].content.decode()
    assert "journal.png" not in responses["detail"].content.decode()
    csv_lines = responses["csv one"].content.decode().splitlines()
    assert ";ja;" in csv_lines[1]  # the Sekretess column


def test_original_is_hidden_in_the_pdf(client, line, administrator, operator):
    original, _correction = line
    url = reverse("moderation:removal_export_one", args=[original.pk, "pdf"])
    client.force_login(administrator)
    text = pdf_text(client.get(url).content)
    assert "19800101" not in text and "Sekretess" in text
    client.force_login(operator)
    assert "19800101" in pdf_text(client.get(url).content)


def test_original_is_hidden_in_the_period_export(client, line, account_a, administrator):
    original, _correction = line
    day = original.removed_at.date().isoformat()
    params = {"account": account_a.pk, "start": day, "end": day, "format": "csv"}
    client.force_login(administrator)
    response = client.get(reverse("moderation:removal_export"), params)
    assert response.status_code == 200
    _no_secret(response.content.decode(), "period csv")


def test_original_evidence_is_refused(client, line, administrator, operator):
    original, _correction = line
    evidence = Evidence.objects.get(removed_post=original)
    client.force_login(administrator)
    assert client.get(evidence.get_absolute_url()).status_code == 403
    client.force_login(operator)
    assert client.get(evidence.get_absolute_url()).status_code == 200


def test_readers_still_see_the_original(client, line, operator):
    original, _correction = line
    client.force_login(operator)
    assert SECRET in client.get(original.get_absolute_url()).content.decode()
    search = client.get(reverse("moderation:search"), {"q": "diagnosen"}).content.decode()
    assert f"Post {original.position}" in search


def test_admin_hides_the_original(client, line, administrator, communications_officer):
    original, _correction = line
    change = reverse("admin:moderation_removedpost_change", args=[original.pk])
    changelist = reverse("admin:moderation_removedpost_changelist")
    client.force_login(administrator)
    body = client.get(change).content.decode()
    _no_secret(body, "admin change")
    assert "journal.png" not in body
    confidential = client.get(changelist, {"sekretess": "1"}).content.decode()
    assert f"/{original.pk}/change/" in confidential
    public = client.get(changelist, {"sekretess": "0"}).content.decode()
    assert f"/{original.pk}/change/" not in public
    client.force_login(communications_officer)
    body = client.get(change).content.decode()
    assert SECRET in body and "journal.png" in body


def test_account_tag_hides_a_line_whose_latest_record_is_not_flagged(
    account_a, operator, administrator
):
    """A line where an earlier record is confidential and the current one is not (the
    service carries the flag forward, but the rule must not depend on it)."""
    original = make_removal(
        account_a,
        operator,
        content=SECRET,
        confidential=True,
        registration_decision=RegistrationDecision.PASSING,
    )
    fields = {name: getattr(original, name) for name in services.CORRECTABLE_FIELDS}
    fields.update(
        account=account_a,
        corrects=original,
        original=original,
        confidential=False,
        correction_note=NOTE,
    )
    with transaction.atomic():
        latest = services._append(by=operator, fields=fields, evidence=[])
    assert not latest.confidential
    template = Template("{% load moderation_tags %}{% account_moderation account user %}")
    as_admin = template.render(Context({"account": account_a, "user": administrator}))
    assert latest.get_absolute_url() in as_admin
    assert "Sekretess" in as_admin and "19800101" not in as_admin
    as_owner = template.render(Context({"account": account_a, "user": operator}))
    assert "19800101" in as_owner


def test_handoff_email_of_a_confidential_line_carries_no_content(
    line, operator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_handoff_reminders() == 1
    assert mail.outbox
    for message in mail.outbox:
        _no_secret(message.subject + message.body, "handoff e-mail")


def test_list_queries_do_not_grow_with_lines(client, account_a, operator, administrator):
    def add_line():
        record = make_removal(account_a, operator, content=SECRET)
        _correct_to_confidential(record, operator)

    add_line()
    client.force_login(administrator)
    url = reverse("moderation:removal_list")
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"all": "1"})
    for _ in range(6):
        add_line()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"all": "1"})
    assert len(many.captured_queries) == len(few.captured_queries)
    _no_secret(response.content.decode(), "list")


# --- the correction note (finding 2) -------------------------------------------------------


def test_correction_note_is_masked_on_the_page_and_in_the_admin(
    client, line, administrator, operator, communications_officer
):
    _original, correction = line
    admin_change = reverse("admin:moderation_removedpost_change", args=[correction.pk])
    client.force_login(administrator)
    for url in (correction.get_absolute_url(), admin_change):
        body = client.get(url).content.decode()
        assert "diagnosen" not in body and "brukare" not in body, url
    client.force_login(operator)
    assert NOTE in client.get(correction.get_absolute_url()).content.decode()
    client.force_login(communications_officer)
    assert NOTE in client.get(admin_change).content.decode()


def test_correction_note_of_a_readable_record_is_shown(client, account_a, operator, administrator):
    record = make_removal(account_a, operator)
    fixed = services.correct_removal(
        by=operator, record=record, correction_note="Fel tidpunkt angiven", changes={}
    )
    client.force_login(administrator)
    assert "Fel tidpunkt angiven" in client.get(fixed.get_absolute_url()).content.decode()
