"""The demo register: every state, people and activity; running it twice changes nothing."""

from __future__ import annotations

import io

import pytest

from accounts import demo as accounts_demo
from registry import demo
from registry.models import ActivityEntry, Assignment, SocialAccount

pytestmark = pytest.mark.django_db


def test_demo_has_every_state_and_is_idempotent(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = io.StringIO()
    accounts_demo.seed(out)
    demo.seed(out)
    states = set(SocialAccount.objects.values_list("state", flat=True))
    assert states == set(SocialAccount.State.values)
    assert ActivityEntry.objects.exists() and Assignment.objects.exists()
    assert SocialAccount.objects.filter(is_central=True, state="active").exists()
    assert SocialAccount.objects.filter(state="draft").exclude(rejection_reason="").exists()
    before = (
        SocialAccount.objects.count(),
        ActivityEntry.objects.count(),
        Assignment.objects.count(),
    )
    demo.seed(out)
    assert (
        SocialAccount.objects.count(),
        ActivityEntry.objects.count(),
        Assignment.objects.count(),
    ) == before
