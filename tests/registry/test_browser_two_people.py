"""REG-3 in a real browser (Debian's Chromium through Playwright): the request says whom it
waits for, the approver is not offered the final step, and a refused activation tells why
and keeps the channel strategy the officer typed."""

from __future__ import annotations

import pytest

from registry import services
from registry.models import CredentialHolder, SocialAccount
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logout(page):
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/konto/login/**")


def test_two_people_and_who_it_waits_for(
    browser_page, draft_a, operator, manager_a, office_head, communications_officer
):
    page = browser_page
    services.submit(account=draft_a, by=operator)
    detail = draft_a.get_absolute_url()

    browser_login(page, operator)
    page.goto(detail)
    page.get_by_text(f"Väntar på {manager_a.full_name}, {office_head.full_name}").wait_for()
    logout(page)

    # The officer who also manages the department approves, and is then not offered the
    # office's step.
    browser_login(page, office_head)
    page.goto(detail)
    page.get_by_role("button", name="Godkänn", exact=True).click()
    page.get_by_text("Kontot är godkänt och skickat till kommunikationsavdelningen.").wait_for()
    page.get_by_text("Du godkände kontot som chef.").wait_for()
    assert page.get_by_role("button", name="Aktivera kontot").count() == 0
    page.get_by_text(f"Väntar på {communications_officer.full_name}").wait_for()
    logout(page)

    # Another officer activates; the login is with one person only, so it is refused, with
    # the reason, and the strategy stays in the field.
    CredentialHolder.objects.filter(account=draft_a, user=operator).delete()
    browser_login(page, communications_officer)
    page.goto(detail)
    strategy = "Två inlägg i veckan om lovaktiviteter."
    page.get_by_label("Överenskommen kanalstrategi").fill(strategy)
    page.get_by_role("button", name="Aktivera kontot").click()
    page.get_by_text("Inloggningsuppgifterna måste finnas hos minst två personer.").first.wait_for()
    assert page.get_by_label("Överenskommen kanalstrategi").input_value() == strategy
    assert SocialAccount.objects.get(pk=draft_a.pk).state == SocialAccount.State.MANAGER_APPROVED
