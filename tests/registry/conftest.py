"""Fixtures for the register's tests: a complete draft of department A, and the archive seam."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role
from registry.demo import CHECKLIST
from registry.models import CredentialHolder, SocialAccount
from tests.factories import SocialAccountFactory, UserFactory, platform


def complete(account: SocialAccount, reviewer) -> SocialAccount:
    """Answer the whole Bilaga 2 checklist of `account`."""
    for name, value in CHECKLIST.items():
        setattr(account, name, value)
    account.terms_reviewed_by = reviewer
    account.terms_reviewed_on = timezone.localdate() - dt.timedelta(days=3)
    account.save()
    return account


@pytest.fixture
def draft_a(department_a, operator, deputy):
    """A complete draft request of Fritidsfabriken, with two credential holders."""
    account = SocialAccountFactory(
        name="Fritidsfabriken Instagram",
        url="https://www.instagram.com/fritidsfabriken",
        normalized_url="instagram.com/fritidsfabriken",
        platform=platform("instagram"),
        department=department_a,
        owner=operator,
        deputies=[deputy],
        created_by=operator,
        state=SocialAccount.State.DRAFT,
        activated_at=None,
        credentials_location="Lösenordshanteraren, valv Kultur och fritid",
    )
    complete(account, operator)
    CredentialHolder.objects.create(account=account, user=operator)
    CredentialHolder.objects.create(account=account, user=deputy)
    return account


@pytest.fixture
def office_head(office_a, comms_office):
    """A communications officer who is also the manager of Kultur och fritid."""
    return UserFactory(
        full_name="Maja Chef-Kommunikatör",
        roles=[Role.Code.COMMUNICATIONS, Role.Code.MANAGER],
        departments=[office_a, comms_office],
    )


@pytest.fixture
def closing_snapshot(monkeypatch):
    """Answer the archive's "is there a stored closing snapshot?" (ARC-1) as the test says.

    The archive app owns that question; these tests set its answer at the seam.
    """
    answer = {"stored": True}
    monkeypatch.setattr("registry.models.closing_snapshot_stored", lambda account: answer["stored"])
    return answer


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """These tests make many users; a fast hasher keeps them quick (not a security test)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
