"""Log in and out in a real browser, with the keyboard only."""

from __future__ import annotations

import pytest

from tests.conftest import browser_login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_login_navigation_and_logout(browser_page, communications_officer):
    page = browser_page
    browser_login(page, communications_officer)
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Välkommen")
    assert (
        page.get_by_role("navigation", name="Huvudmeny")
        .get_by_role("link", name="Administration")
        .is_visible()
    )
    # The skip link is the first thing the keyboard reaches, and it is visible when focused.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Hoppa till innehållet"
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/konto/login/")
