"""Logging a removal from an incoming comment, in a real browser (Bilaga 4: avpublicera)."""

from __future__ import annotations

import pytest

from moderation.models import IncomingItem, RemovedPost
from tests.conftest import browser_login

# The rows data migrations seed are restored by tests/conftest.py's _reference_data.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_unpublish_an_incoming_comment_and_log_it(browser_page, account_a, operator):
    from tests.moderation.conftest import make_incoming

    item = make_incoming(
        account_a,
        operator,
        kind=IncomingItem.Kind.COMMENT,
        text="Ni på Fritidsfabriken är värdelösa idioter",
        sender_name="Arg Besökare",
    )
    page = browser_page
    browser_login(page, operator)
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Inkommet").click()
    page.get_by_role("row").filter(has_text="värdelösa idioter").get_by_role("link").click()
    page.get_by_role("link", name="Avpublicera och logga").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Logga borttaget inlägg"
    # Prefilled from the incoming item.
    assert page.get_by_role("textbox", name="Innehåll").input_value() == item.text
    assert page.get_by_label("Avsändare (valfritt):", exact=True).input_value() == "Arg Besökare"
    page.get_by_label("Skäl:", exact=True).select_option(
        label=("Kränkande uppgifter, förtal, personliga angrepp (5 kap. brottsbalken (1962:700))")
    )
    page.get_by_label("Motivering:", exact=True).fill("Personangrepp mot personalen")
    page.get_by_label("Diarieföring:", exact=True).select_option(value="passing")
    page.get_by_label("Avsändaren har informerats").check()
    page.get_by_role("button", name="Spara i loggen").click()
    page.wait_for_url("**/moderering/*/")
    assert "Det borttagna inlägget är loggat." in page.content()
    record = RemovedPost.objects.get()
    assert record.source_incoming_id == item.pk and record.content == item.text
    assert record.sender_informed and record.removed_by == operator
    item.refresh_from_db()
    assert item.outcome == IncomingItem.Outcome.UNPUBLISHED
