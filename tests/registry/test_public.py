"""The public pages, no login (REG-7): the channel list, its JSON, and verification."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registry.models import SocialAccount
from tests.factories import SocialAccountFactory, UserFactory, platform

pytestmark = pytest.mark.django_db
S = SocialAccount.State


@pytest.fixture
def register(account_a, account_b, department_a):
    draft = SocialAccountFactory(
        name="Hemligt utkast",
        url="https://x.com/utkast",
        normalized_url="x.com/utkast",
        platform=platform("x"),
        department=department_a,
        state=S.DRAFT,
        activated_at=None,
    )
    closed = SocialAccountFactory(
        name="Gammalt konto",
        url="https://x.com/gammalt",
        normalized_url="x.com/gammalt",
        platform=platform("x"),
        department=department_a,
        state=S.CLOSED,
    )
    return {"draft": draft, "closed": closed}


def test_channel_list_shows_active_accounts_grouped_without_personal_data(
    client, register, account_a
):
    response = client.get(reverse("registry:public_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Fritidsfabriken" in page and "Hemtjänsten Nykvarn" in page
    assert account_a.url in page
    assert "Hemligt utkast" not in page and "Gammalt konto" not in page
    assert account_a.owner.full_name not in page and account_a.owner.email not in page
    embed = client.get(reverse("registry:public_list") + "?embed=1").content.decode()
    assert "Fritidsfabriken" in embed and "<nav" not in embed


def _frame_ancestors(response):
    policy = response.headers["Content-Security-Policy"]
    directive = next(d.strip() for d in policy.split(";") if "frame-ancestors" in d)
    return directive.split()[1:]


def test_only_the_embed_view_is_frameable_and_only_by_the_allowed_origins(client, settings):
    settings.EMBED_ALLOWED_ORIGINS = ["https://www.nykvarn.se"]
    embed = client.get(reverse("registry:public_list") + "?embed=1")
    assert _frame_ancestors(embed) == ["'self'", "https://www.nykvarn.se"]
    assert "X-Frame-Options" not in embed.headers
    for url in (reverse("login"), reverse("registry:public_list"), reverse("registry:verify")):
        response = client.get(url)
        assert _frame_ancestors(response) == ["'none'"], url
        assert response.headers["X-Frame-Options"] == "DENY", url


def test_channel_list_json(client, register, account_a, settings):
    data = client.get(reverse("registry:public_json")).json()
    assert data["organisation"] == settings.ORGANISATION_NAME
    names = {a["name"] for a in data["accounts"]}
    assert names == {"Fritidsfabriken", "Hemtjänsten Nykvarn"}
    entry = next(a for a in data["accounts"] if a["id"] == account_a.pk)
    assert set(entry) == {
        "id",
        "platform",
        "name",
        "url",
        "department",
        "active_since",
        "closing",
        "closing_planned_on",
    }
    assert entry["platform"] == "Facebook" and entry["department"] == "Fritidsfabriken"


@pytest.mark.parametrize(
    "pasted",
    [
        "https://www.facebook.com/fritidsfabriken",
        "http://facebook.com/fritidsfabriken/",
        "https://m.facebook.com/Fritidsfabriken?ref=bookmarks",
        "facebook.com/FRITIDSFABRIKEN",
        "https://www.facebook.com/fritidsfabriken/posts/1234567",
        "https://fb.com/fritidsfabriken",
    ],
)
def test_verify_recognises_the_variants_people_paste(client, account_a, pasted):
    data = client.get(reverse("registry:verify_json"), {"url": pasted}).json()
    assert data["official"] is True
    assert data["account"]["id"] == account_a.pk


@pytest.mark.parametrize(
    "pasted",
    [
        "https://www.facebook.com/fritidsfabriken-fejk",
        "https://www.facebook.com/fritidsfabrikenofficial",
        "https://www.facebook.com/fritidsfabrike",
        "https://facebook.com.evil.example/fritidsfabriken",
        "https://facebook.com@evil.example/fritidsfabriken",
        "https://www.instagram.com/fritidsfabriken",
        "https://www.facebook.com/",
        "",
    ],
)
def test_verify_never_calls_an_impostor_official(client, account_a, pasted):
    data = client.get(reverse("registry:verify_json"), {"url": pasted}).json()
    assert data == {"official": False, "account": None}


NOT_ADDRESSES = [
    "http://[abc",
    "javascript:alert(1)",
    "https://www.facebook.com:99999/fritidsfabriken",
    "https://" + "a" * 64 + ".com/fritidsfabriken",
    "https://www.facebook.com/fritidsfabriken/" + "x" * 1000,
]


@pytest.mark.parametrize("pasted", NOT_ADDRESSES)
def test_verify_json_says_an_invalid_address_is_not_an_address(client, account_a, pasted):
    response = client.get(reverse("registry:verify_json"), {"url": pasted})
    assert response.status_code == 400
    data = response.json()
    assert data["error"] == "invalid_url" and data["message"]
    assert data["official"] is False and data["account"] is None


@pytest.mark.parametrize("pasted", NOT_ADDRESSES)
def test_verify_page_shows_an_invalid_address_as_a_form_error(client, account_a, pasted):
    response = client.get(reverse("registry:verify"), {"url": pasted})
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["form"].errors["url"]
    assert "verify-result" not in page


def test_verify_does_not_vouch_for_drafts_or_closed_accounts(client, register):
    for key in ("draft", "closed"):
        data = client.get(reverse("registry:verify_json"), {"url": register[key].url}).json()
        assert data["official"] is False


def test_verify_page(client, account_a):
    page = client.get(
        reverse("registry:verify"), {"url": "https://m.facebook.com/fritidsfabriken"}
    ).content.decode()
    assert "Ja, det är ett officiellt konto" in page
    page = client.get(
        reverse("registry:verify"), {"url": "https://www.facebook.com/fritidsfabriken-fejk"}
    ).content.decode()
    assert "Nej, det är inte ett av kommunens officiella konton" in page


def test_a_closed_account_frees_its_address_for_a_new_registration(account_a):
    SocialAccount.objects.filter(pk=account_a.pk).update(state=S.CLOSED)
    again = SocialAccountFactory(
        url=account_a.url,
        normalized_url=account_a.normalized_url,
        owner=UserFactory(),
        department=account_a.department,
    )
    assert again.pk != account_a.pk
