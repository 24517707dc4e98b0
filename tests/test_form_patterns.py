"""The GOV.UK Design System's form patterns on every form (issue 12, "Forms"): an error
summary linking to the fields, "Fel: " in the title, each error with its own label, specific
messages, "(valfritt)", no "---------", groups in a fieldset, the server's own validation."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from moderation.models import IncomingItem
from registry.models import SocialAccount
from tests.conftest import browser_login
from tests.moderation.conftest import make_incoming

pytestmark = pytest.mark.django_db


def post_empty_question(client, operator):
    client.force_login(operator)
    return client.post(reverse("moderation:incoming_create"), {"kind": "question"})


def test_a_form_with_errors_opens_with_a_focused_summary_linking_to_the_fields(
    client, account_a, operator
):
    response = post_empty_question(client, operator)
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r"<title>Fel: ", page)
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</ul>', page, re.S)
    assert summary, "no error summary"
    opening = summary.group(0)
    assert 'tabindex="-1"' in opening and "autofocus" in opening
    assert "Det finns ett problem" in summary.group(1)
    assert '<a href="#id_received_at">Ange när frågan kom in</a>' in summary.group(1)
    assert '<a href="#id_account">Välj kontot där frågan kom in</a>' in summary.group(1)
    # The summary comes before the first field.
    assert page.index("error-summary") < page.index('id="id_account"')
    assert not IncomingItem.objects.exists()


def test_each_error_sits_with_its_label_and_is_described_by_the_input(client, account_a, operator):
    page = post_empty_question(client, operator).content.decode()
    assert "Detta fält måste fyllas i." not in page
    label = page.index('<label for="id_text"')
    error = page.index('id="id_text_error"')
    field = page.index('<textarea name="text"')
    assert label < error < field
    assert re.search(
        r'<p class="field-error" id="id_text_error"><span class="visually-hidden">Fel:</span> '
        r"Ange vad avsändaren skrev</p>",
        page,
    )
    assert re.search(r'<textarea[^>]*aria-describedby="id_text_error"[^>]*aria-invalid', page) or (
        re.search(r'<textarea[^>]*aria-invalid="true"[^>]*aria-describedby="id_text_error"', page)
    )


def test_a_page_without_errors_has_no_summary_and_a_plain_title(client, account_a, operator):
    client.force_login(operator)
    page = client.get(reverse("moderation:incoming_create")).content.decode()
    assert "Det finns ett problem" not in page and "<title>Fel:" not in page
    assert "error-summary.js" not in page


def test_optional_fields_say_so_and_no_choice_is_dashes(client, account_a, operator):
    client.force_login(operator)
    page = client.get(reverse("moderation:incoming_create")).content.decode()
    assert re.search(r'<label for="id_url">Länk <span class="optional">\(valfritt\)</span>', page)
    assert re.search(r'<label for="id_text">Text:</label>', page)
    assert "---------" not in page
    assert "Välj konto</option>" in page
    removal = client.get(reverse("moderation:removal_create")).content.decode()
    assert "---------" not in removal and "Välj skäl</option>" in removal
    request = client.get(reverse("registry:account_create")).content.decode()
    assert "---------" not in request


def test_radios_and_checkboxes_are_groups_with_a_legend(
    client, account_a, operator, communications_officer
):
    item = make_incoming(account_a, operator)
    client.force_login(operator)
    page = client.get(item.get_absolute_url()).content.decode()
    assert re.search(r"<fieldset class=\"field\">\s*<legend>Utfall:</legend>", page)
    assert 'href="#id_outcome_0"' not in page  # no errors yet
    response = client.post(reverse("moderation:incoming_close", args=[item.pk]), {})
    page = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#id_outcome_0">Välj hur frågan avslutades</a>' in page
    assert re.search(
        r'<fieldset class="field has-error" aria-describedby="id_outcome_error">', page
    )
    client.force_login(communications_officer)
    people = client.get(reverse("registry:people", args=[account_a.pk])).content.decode()
    assert re.search(r"<fieldset[^>]*>\s*<legend>Ställföreträdande:</legend>", people)
    assert re.search(r"<fieldset[^>]*>\s*<legend>Konton:</legend>", people)


@pytest.mark.parametrize(
    ("url_name", "needs_item", "message"),
    [
        ("registry:start_closing", False, "Ange när kontot ska avslutas"),
        ("moderation:incoming_acknowledge", True, "Ange när avsändaren får svar"),
        ("moderation:incoming_close", True, "Välj hur frågan avslutades"),
    ],
)
def test_the_server_checks_what_the_browser_used_to(
    client, account_a, operator, manager_a, url_name, needs_item, message
):
    if needs_item:
        item = make_incoming(account_a, operator)
        client.force_login(operator)
        page_url, target = item.get_absolute_url(), item.pk
    else:
        client.force_login(manager_a)
        page_url, target = account_a.get_absolute_url(), account_a.pk
    page = client.get(page_url).content.decode()
    action = reverse(url_name, args=[target])
    assert re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*novalidate', page)
    response = client.post(action, {})
    assert response.status_code == 400
    assert f'">{message}</a></li>' in response.content.decode()
    account_a.refresh_from_db()
    assert account_a.state == SocialAccount.State.ACTIVE


def test_the_question_page_puts_answering_first(client, account_a, operator):
    item = make_incoming(account_a, operator)
    client.force_login(operator)
    page = client.get(item.get_absolute_url()).content.decode()
    unpublish = re.search(r'<a class="([^"]*)"[^>]*>Avpublicera och logga</a>', page)
    assert unpublish and "secondary" in unpublish.group(1).split()
    assert page.index(">Avsluta</button>") < unpublish.start()
    # The signature is asked for once: in its fields, not again inside the reply.
    assert re.search(r'<textarea name="reply"[^>]*>\s*</textarea>', page)
    assert f'value="{operator.full_name}"' in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_error_summary_is_focused_and_its_link_reaches_the_field(
    browser_page, account_a, operator
):
    page = browser_page
    browser_login(page, operator)
    page.goto(reverse("moderation:incoming_create"))
    page.locator("#id_received_at").fill("")  # prefilled with now
    page.get_by_role("main").get_by_role("button", name="Spara").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert page.title().startswith("Fel: ")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    page.get_by_role("link", name="Ange när frågan kom in").click()
    assert page.evaluate("document.activeElement.id") == "id_received_at"


def test_an_operators_only_department_is_preselected_in_the_request(
    client, account_a, operator, communications_officer
):
    client.force_login(operator)
    page = client.get(reverse("registry:account_create")).content.decode()
    department = account_a.department
    assert f'<option value="{department.pk}" selected>{department.name}</option>' in page
    client.force_login(communications_officer)
    page = client.get(reverse("registry:account_create")).content.decode()
    departments = page.split('name="department"')[1].split("</select>")[0]
    assert '<option value="" selected>Välj verksamhet</option>' in departments
