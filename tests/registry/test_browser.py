"""The whole request in a real browser (Debian's Chromium through Playwright):
operator drafts → department manager approves → communications officer activates →
the account is on /kanaler/ and verified official."""

from __future__ import annotations

import pytest

from registry.demo import CHECKLIST
from registry.models import SocialAccount
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logout(page):
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/konto/login/**")


def test_request_to_public_list(
    browser_page, operator, deputy, manager_a, communications_officer, department_a
):
    page = browser_page
    browser_login(page, operator)

    # The operator drafts the request with the Bilaga 2 checklist.
    page.goto("/register/")
    page.get_by_role("link", name="Begär ett nytt konto").click()
    page.get_by_label("Plattform").select_option(label="Instagram")
    page.get_by_label("Kontots namn").fill("Fritidsfabriken på Instagram")
    page.get_by_label("Adress").fill("https://www.instagram.com/Fritidsfabriken.Nykvarn/")
    page.get_by_label("Verksamhet").select_option(label="Fritidsfabriken")
    page.get_by_label(f"{deputy.full_name} ({deputy.email})").check()
    page.get_by_label("Avtalsvillkor genomgångna av").select_option(
        label=f"{operator.full_name} ({operator.email})"
    )
    page.get_by_label("Avtalsvillkor genomgångna den").fill("2026-01-10")
    for name, value in CHECKLIST.items():
        field = page.locator(f"[name={name}]")
        if value is True:
            field.check()
        else:
            field.fill(value)
    page.get_by_role("button", name="Spara utkast").click()
    page.get_by_role("button", name="Skicka in till verksamhetschefen").click()
    page.get_by_text("Begäran är inskickad till verksamhetschefen.").wait_for()
    account = SocialAccount.objects.get(name="Fritidsfabriken på Instagram")
    assert account.state == SocialAccount.State.SUBMITTED
    logout(page)

    # The department manager records who holds the login, and approves.
    browser_login(page, manager_a)
    page.goto("/register/att-hantera/")
    page.get_by_role("link", name="Fritidsfabriken på Instagram").click()
    detail = page.url
    page.get_by_role("link", name="Hantera personer och inloggning").click()
    for person in (operator, deputy):
        page.get_by_label("Person som har inloggningsuppgifterna").select_option(
            label=f"{person.full_name} ({person.email})"
        )
        page.get_by_role("button", name="Lägg till", exact=True).nth(1).click()
        page.get_by_text("registrerad som innehavare").wait_for()
    page.get_by_label("Var inloggningsuppgifterna förvaras").fill("Lösenordshanteraren, valv KoF")
    page.get_by_role("button", name="Spara förvaringsplats").click()
    page.goto(detail)
    page.get_by_label("Kommentar (valfritt)").fill("Avtalsvillkoren är lästa.")
    page.get_by_role("button", name="Godkänn", exact=True).click()
    page.get_by_text("Kontot är godkänt och skickat till kommunikationsavdelningen.").wait_for()
    logout(page)

    # The communications office anchors it with a channel strategy.
    browser_login(page, communications_officer)
    page.goto(detail)
    page.get_by_label("Överenskommen kanalstrategi").fill("Två inlägg i veckan om aktiviteter.")
    page.get_by_role("button", name="Aktivera kontot").click()
    page.get_by_text("Kontot är aktivt").wait_for()
    logout(page)

    # Anyone: the public list and the verification.
    page.goto("/kanaler/")
    link = page.get_by_role("link", name="Instagram: Fritidsfabriken på Instagram")
    assert link.get_attribute("href") == "https://www.instagram.com/Fritidsfabriken.Nykvarn/"
    page.goto("/kanaler/verifiera/")
    page.get_by_label("Kontots adress").fill("http://instagram.com/fritidsfabriken.nykvarn?igsh=x")
    page.get_by_role("button", name="Kontrollera").click()
    page.get_by_text("Ja, det är ett officiellt konto").wait_for()
    page.get_by_label("Kontots adress").fill("https://instagram.com/fritidsfabriken.nykvarn-fejk")
    page.get_by_role("button", name="Kontrollera").click()
    page.get_by_text("Nej, det är inte ett av kommunens officiella konton").wait_for()
