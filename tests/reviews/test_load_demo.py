"""The demo fills every queue from every provider's sandbox, over HTTP."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from kycdash.accounts.models import Membership, Role
from providers.models import ProviderConnection
from providers.registry import PROVIDER_PACKAGES
from reviews.models import ReviewTask, VerificationSession

pytestmark = pytest.mark.django_db(transaction=True)


def test_load_demo_fills_every_queue_from_several_providers():
    out = StringIO()
    call_command("load_demo", stdout=out)

    text = out.getvalue()
    for role in Role:
        assert role.label in text
    assert "password: kycdash-demo" in text
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    assert set(ProviderConnection.objects.values_list("provider", flat=True)) == set(
        PROVIDER_PACKAGES
    )
    for queue in ("poa", "status", "antifraud"):
        providers = set(
            ReviewTask.objects.filter(queue=queue).values_list(
                "session__connection__provider", flat=True
            )
        )
        assert providers, f"no {queue} tasks in the demo"
    status_providers = set(
        ReviewTask.objects.filter(queue="status").values_list(
            "session__connection__provider", flat=True
        )
    )
    assert len(status_providers) >= 3
    assert VerificationSession.objects.filter(evidence__isnull=False).exists()

    # A second run changes nothing and prints the logins again.
    sessions = VerificationSession.objects.count()
    again = StringIO()
    call_command("load_demo", stdout=again)
    assert VerificationSession.objects.count() == sessions
    assert "password: kycdash-demo" in again.getvalue()
