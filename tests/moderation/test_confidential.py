"""Confidential (sekretess) content is invisible to every role that may not see it: pages,
search, CSV, PDF, admin and the account-page tag (MOD-3)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse

from accounts import permissions as perms
from moderation.models import Evidence
from tests.factories import UserFactory
from tests.moderation.conftest import SECRET, make_incoming

pytestmark = pytest.mark.django_db

NOT_READERS = ["administrator", "operator_b", "manager_b"]
READERS = ["communications_officer", "operator", "deputy", "manager_a", "archivist"]


@pytest.fixture
def evidence_record(account_a, operator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.moderation.conftest import make_removal

    return make_removal(
        account_a,
        operator,
        code="sekretess",
        content=SECRET,
        registration_decision="confidential",
        evidence=[SimpleUploadedFile("journal.png", b"secret-image", "image/png")],
    )


def test_reader_list_follows_the_setting(request, account_a, secret_record, settings):
    for name in READERS:
        assert perms.may_read_content(request.getfixturevalue(name), secret_record), name
    for name in NOT_READERS:
        assert not perms.may_read_content(request.getfixturevalue(name), secret_record), name
    settings.MODERATION_CONFIDENTIAL_READERS = ["communications"]
    fresh_operator = type(secret_record.removed_by).objects.get(pk=secret_record.removed_by.pk)
    assert not perms.may_read_content(fresh_operator, secret_record)


def test_a_substitute_in_force_reads_as_a_deputy(account_a, secret_record):
    import datetime as dt

    from django.utils import timezone

    from registry.models import Substitute

    stand_in = UserFactory(roles=["redaktor"])
    today = timezone.localdate()
    Substitute.objects.create(
        account=account_a,
        user=stand_in,
        stands_in_for=account_a.owner,
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=1),
    )
    assert perms.may_read_content(stand_in, secret_record)


@pytest.mark.parametrize("name", ["administrator", "operator_b_with_scope"])
def test_restricted_content_is_hidden_in_pages_search_and_csv(
    request, client, account_a, secret_record, name, department_a
):
    if name == "operator_b_with_scope":
        # An operator of the department who neither owns nor deputises for the account:
        # sees the record exists, never its content.
        user = UserFactory(roles=["redaktor"], departments=[department_a])
    else:
        user = request.getfixturevalue(name)
    client.force_login(user)
    pages = [
        client.get(reverse("moderation:removal_list")),
        client.get(secret_record.get_absolute_url()),
        client.get(reverse("moderation:search"), {"q": "diagnosen"}),
        client.get(reverse("moderation:removal_list"), {"format": "csv"}),
        client.get(reverse("moderation:removal_export_one", args=[secret_record.pk, "csv"])),
        client.get(reverse("moderation:handoffs")),
    ]
    for response in pages:
        assert response.status_code == 200, response.request
        # The search page echoes the query itself (field and language form).
        body = response.content.decode().replace('diagnosen"', "").replace("=diagnosen", "")
        assert "19800101" not in body and "diagnosen" not in body
        assert "Arg Person" not in body
    assert "Sekretess" in pages[1].content.decode()
    assert "Sekretess" in pages[3].content.decode()
    # The search finds nothing by the restricted words.
    assert f"Post {secret_record.position}" not in pages[2].content.decode()


@pytest.mark.parametrize("name", READERS)
def test_readers_see_the_content(request, client, secret_record, name):
    client.force_login(request.getfixturevalue(name))
    assert SECRET in client.get(secret_record.get_absolute_url()).content.decode()
    csv = client.get(reverse("moderation:removal_list"), {"format": "csv"}).content.decode()
    assert SECRET in csv


def test_evidence_download_is_permission_checked(
    client, evidence_record, operator, administrator, operator_b, outsider
):
    evidence = Evidence.objects.get(removed_post=evidence_record)
    url = evidence.get_absolute_url()
    client.force_login(operator)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"secret-image"
    assert response["X-Checksum-SHA256"] == evidence.sha256
    client.force_login(administrator)
    assert client.get(url).status_code == 403
    for user in (operator_b, outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(administrator)
    assert "journal.png" not in client.get(evidence_record.get_absolute_url()).content.decode()


def test_admin_hides_restricted_content_from_administrators(
    client, evidence_record, administrator, communications_officer
):
    change = reverse("admin:moderation_removedpost_change", args=[evidence_record.pk])
    changelist = reverse("admin:moderation_removedpost_changelist")
    client.force_login(administrator)
    body = client.get(change).content.decode()
    assert "19800101" not in body and "journal.png" not in body and "Sekretess" in body
    body = client.get(changelist, {"q": "diagnosen"}).content.decode()
    assert "19800101" not in body
    assert "0 borttagna inlägg" in body or "0 av" in body or "0 " in body
    client.force_login(communications_officer)
    body = client.get(change).content.decode()
    assert SECRET in body and "journal.png" in body


def test_confidential_incoming_items_are_masked(client, account_a, operator, administrator):
    item = make_incoming(account_a, operator, text=SECRET, confidential=True)
    client.force_login(administrator)
    for url in (
        item.get_absolute_url(),
        reverse("moderation:incoming_list"),
        reverse("admin:moderation_incomingitem_change", args=[item.pk]),
    ):
        body = client.get(url).content.decode()
        assert "19800101" not in body, url
    client.force_login(operator)
    assert SECRET in client.get(item.get_absolute_url()).content.decode()


def test_account_tag_hides_restricted_content(
    account_a, secret_record, operator, administrator, operator_b
):
    template = Template("{% load moderation_tags %}{% account_moderation account user %}")
    as_admin = template.render(Context({"account": account_a, "user": administrator}))
    assert "Sekretess" in as_admin and "19800101" not in as_admin
    as_owner = template.render(Context({"account": account_a, "user": operator}))
    assert "19800101" in as_owner
    assert template.render(Context({"account": account_a, "user": operator_b})).strip() == ""
