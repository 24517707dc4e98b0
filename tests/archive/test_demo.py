"""The demo seed stores real, validated snapshots without network, and runs twice cleanly."""

from __future__ import annotations

import io

import pytest

from archive import demo
from archive.models import Snapshot

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent(account_a, account_b):
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    stored = Snapshot.objects.filter(status=Snapshot.Status.STORED)
    assert stored.count() == 2
    assert all(s.validation_passed and s.sha256 and s.page_count for s in stored)
