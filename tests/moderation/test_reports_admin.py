"""Reports with SVG charts and CSV; the admin: configuration editable, log read-only."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from moderation import services
from moderation.models import RemovalReason, RemovedPost
from tests.moderation.conftest import make_incoming, make_removal

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Stockholm")


@pytest.fixture
def figures(account_a, account_b, operator, operator_b):
    make_removal(account_a, operator, code="krankande")
    make_removal(account_a, operator, code="krankande")
    make_removal(account_b, operator_b, code="reklam")
    monday = dt.datetime(2026, 3, 16, 9, 0, tzinfo=TZ)
    on_time = make_incoming(account_a, operator, received_at=monday)
    late = make_incoming(account_a, operator, received_at=monday)
    sign = "\n/Rasmus Redaktör, Fritidsledare, Kultur och fritid"
    for item, hours in ((on_time, 2), (late, 30)):
        services.close_incoming(
            by=operator,
            item=item,
            outcome="answered",
            registration_decision="passing",
            reply="Svar" + sign,
            signed_name="Rasmus Redaktör",
            signed_title="Fritidsledare",
            signed_office="Kultur och fritid",
        )
        type(item).objects.filter(pk=item.pk).update(
            first_response_at=monday + dt.timedelta(hours=hours)
        )


def test_report_figures_and_svg_charts(client, figures, communications_officer):
    client.force_login(communications_officer)
    response = client.get(reverse("moderation:report"))
    assert response.status_code == 200
    assert response.context["by_reason"][0][1] == 2
    fritids = next(r for r in response.context["responses"] if r.department == "Fritidsfabriken")
    assert (fritids.items, fritids.answered, fritids.within_rule) == (2, 2, 1)
    assert fritids.share_within == 50.0 and fritids.median_hours == 16.0
    body = response.content.decode()
    assert body.count("<svg") == 3 and "<title" in body and "<script" not in body


def test_report_csv(client, figures, communications_officer):
    client.force_login(communications_officer)
    response = client.get(reverse("moderation:report"), {"format": "csv"})
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "Fritidsfabriken;2;2;1;0;50.0;16.0" in text
    assert "Facebook Fritidsfabriken;Fritidsfabriken;2" in text


def test_report_csv_cells_never_run_as_formulas(client, figures, account_a, communications_officer):
    from accounts.models import Department

    Department.objects.filter(pk=account_a.department_id).update(name='=HYPERLINK("http://x")')
    client.force_login(communications_officer)
    text = client.get(reverse("moderation:report"), {"format": "csv"}).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ";=HYPERLINK" not in text and not any(line.startswith("=") for line in text.splitlines())


def test_manager_sees_only_their_scope_and_operators_are_refused(
    client, figures, manager_a, operator, outsider
):
    client.force_login(manager_a)
    response = client.get(reverse("moderation:report"))
    assert [r[0] for r in response.context["by_department"]] == ["Fritidsfabriken"]
    for user in (operator, outsider):
        client.force_login(user)
        assert client.get(reverse("moderation:report")).status_code == 403


def test_admin_offers_no_change_or_delete_on_the_log(
    client, account_a, operator, communications_officer
):
    record = make_removal(account_a, operator)
    client.force_login(communications_officer)
    change = reverse("admin:moderation_removedpost_change", args=[record.pk])
    page = client.get(change)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="_save"' not in body and "deletelink" not in body
    assert client.post(change, {"content": "ändrad"}).status_code == 403
    delete = reverse("admin:moderation_removedpost_delete", args=[record.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:moderation_removedpost_add")).status_code == 403
    changelist = client.get(reverse("admin:moderation_removedpost_changelist"))
    assert "delete_selected" not in changelist.content.decode()
    record.refresh_from_db()
    assert RemovedPost.objects.count() == 1 and record.content == "Du är en idiot"


def test_admin_edits_reasons_as_configuration(client, communications_officer):
    client.force_login(communications_officer)
    reason = RemovalReason.objects.get(code="reklam")
    assert not reason.preserve_content  # Bilaga 1: "behöver ej bevaras"
    url = reverse("admin:moderation_removalreason_change", args=[reason.pk])
    response = client.post(
        url,
        {
            "code": "reklam",
            "label": "Reklam",
            "legal_reference": "",
            "active": "on",
            "position": "5",
        },
    )
    assert response.status_code == 302
    assert RemovalReason.objects.get(code="reklam").label == "Reklam"
    assert RemovalReason.objects.filter(legal_reference__contains="1960:729").exists()
    assert RemovalReason.objects.filter(
        legal_reference__contains="2009:400", confidential_by_default=True
    ).exists()
    assert RemovalReason.objects.filter(legal_reference__contains="2008:567").exists()
