"""Provider connections and the raw webhook events they deliver."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from kycdash.accounts.models import ProjectScopedQuerySet
from providers.crypto import EncryptedJSONField


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class ProviderConnection(models.Model):
    """A project's link to one provider account: where it is, how to authenticate."""

    class SyncState(models.TextChoices):
        NEVER = "never", "Never synced"
        RUNNING = "running", "Syncing"
        OK = "ok", "Synced"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(
        "accounts.Project", on_delete=models.CASCADE, related_name="connections"
    )
    provider = models.CharField(max_length=40)
    name = models.CharField(max_length=120)
    base_url = models.URLField(max_length=300)
    credentials = EncryptedJSONField(default=dict, blank=True)
    # non-secret per-connection settings an adapter reads (e.g. Flonk's legacy signatures)
    options = models.JSONField(default=dict, blank=True)
    webhook_secret = models.CharField(max_length=100, default=new_webhook_secret)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    sync_state = models.CharField(max_length=10, choices=SyncState.choices, default="never")
    last_sync_started_at = models.DateTimeField(null=True, blank=True)
    last_sync_finished_at = models.DateTimeField(null=True, blank=True)
    last_sync_error = models.TextField(blank=True)
    sync_progress = models.JSONField(default=dict, blank=True)

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ("project", "name")

    def __str__(self) -> str:
        return f"{self.name} ({self.provider})"

    @property
    def webhook_path(self) -> str:
        return reverse("webhook", kwargs={"connection_id": self.id})

    @property
    def webhook_url(self) -> str:
        return f"{settings.SITE_URL}{self.webhook_path}"

    @property
    def adapter(self):
        from providers.registry import adapter_for

        return adapter_for(self)


class WebhookEventQuerySet(ProjectScopedQuerySet):
    project_path = "connection__project"


class WebhookEvent(models.Model):
    """A raw, verified webhook delivery, stored once per provider event id."""

    class State(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    connection = models.ForeignKey(
        ProviderConnection, on_delete=models.CASCADE, related_name="webhook_events"
    )
    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=100)
    external_id = models.CharField(max_length=200, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECEIVED)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    objects = WebhookEventQuerySet.as_manager()

    class Meta:
        ordering = ("-received_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "event_id"], name="one_webhook_event_per_provider_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
