"""seed_demo's moderation data: several reasons, a confidential and an advertising record,
incoming items in every state, some overdue; idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from moderation import services
from moderation.models import IncomingItem, RemovedPost

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_moderation_data_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--force", stdout=StringIO())
    records = RemovedPost.objects.all()
    assert records.filter(confidential=True).exists()
    assert records.filter(reason__code="reklam", content_preserved=False).exists()
    assert records.values("reason").distinct().count() >= 4
    assert records.filter(corrects__isnull=False).exists()
    assert RemovedPost.objects.pending_registration().filter(confidential=True).exists()
    outcomes = set(IncomingItem.objects.values_list("outcome", flat=True))
    assert outcomes == set(IncomingItem.Outcome.values)
    assert IncomingItem.objects.overdue(timezone.now()).exists()
    assert services.verify_chain().ok
    counts = (RemovedPost.objects.count(), IncomingItem.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--force", stdout=StringIO())
    assert (RemovedPost.objects.count(), IncomingItem.objects.count()) == counts
