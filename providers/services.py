"""Writes of the providers app: connections, webhook events, session imports."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kycdash.accounts.models import Project
from kycdash.audit.services import audit_record
from providers.base import Capability, InboundEvent, ProviderError
from providers.models import ProviderConnection, WebhookEvent
from providers.registry import adapter_class, adapter_for
from reviews.services import IngestResult, session_ingest

logger = logging.getLogger(__name__)


class ConnectionSettingsError(ValueError):
    """Bad settings for a connection."""


@transaction.atomic
def connection_create(
    *,
    project: Project,
    provider: str,
    base_url: str,
    credentials: dict[str, Any],
    name: str = "",
    actor=None,
) -> ProviderConnection:
    """Add a provider connection; credentials are validated against the adapter's keys."""
    try:
        adapter = adapter_class(provider)
    except KeyError as exc:
        raise ConnectionSettingsError(f"unknown provider {provider!r}") from exc
    if not isinstance(credentials, dict):
        raise ConnectionSettingsError("credentials must be a JSON object")
    missing = [key for key in adapter.credential_fields if not credentials.get(key)]
    if missing:
        raise ConnectionSettingsError(f"credentials lack {', '.join(missing)}")
    unknown = sorted(set(credentials) - set(adapter.credential_fields))
    if unknown:
        raise ConnectionSettingsError(f"credentials have unknown keys: {', '.join(unknown)}")
    if not base_url.startswith(("http://", "https://")):
        raise ConnectionSettingsError("base URL must start with http:// or https://")
    connection = ProviderConnection.objects.create(
        project=project,
        provider=provider,
        name=name or adapter.label,
        base_url=base_url.rstrip("/"),
        credentials=credentials,
    )
    audit_record(
        action="connection.created",
        actor=actor,
        project=project,
        obj=connection,
        data={"provider": provider, "base_url": connection.base_url},
    )
    return connection


@transaction.atomic
def connection_rotate_secret(*, connection: ProviderConnection, actor=None) -> str:
    """A new webhook secret; the old one stops working at once."""
    connection.webhook_secret = secrets.token_urlsafe(32)
    connection.save(update_fields=["webhook_secret"])
    audit_record(
        action="connection.secret_rotated", actor=actor, project=connection.project, obj=connection
    )
    return connection.webhook_secret


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


def connection_test(*, connection: ProviderConnection, actor=None) -> ConnectionCheck:
    """Ask the provider whether the connection works; audited, never raises for the provider."""
    try:
        adapter_for(connection).test_connection()
    except ProviderError as exc:
        check = ConnectionCheck(False, str(exc))
    except NotImplementedError:
        check = ConnectionCheck(False, "This provider offers no connection test.")
    else:
        check = ConnectionCheck(True, "The provider accepted the credentials.")
    with transaction.atomic():
        audit_record(
            action="connection.tested",
            actor=actor,
            project=connection.project,
            obj=connection,
            data={"ok": check.ok, "message": check.message},
        )
    return check


def connection_register_webhook(*, connection: ProviderConnection, actor=None) -> None:
    """Register the connection's webhook URL with the provider (providers that need it)."""
    adapter = adapter_for(connection)
    if Capability.REGISTER_WEBHOOK not in adapter.capabilities:
        raise ConnectionSettingsError(f"{adapter.label} takes no webhook registration.")
    adapter.register_webhook(connection.webhook_url)
    with transaction.atomic():
        audit_record(
            action="connection.webhook_registered",
            actor=actor,
            project=connection.project,
            obj=connection,
            data={"url": connection.webhook_path},
        )


def connection_update(
    *,
    connection: ProviderConnection,
    actor=None,
    name: str | None = None,
    base_url: str | None = None,
    credentials: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
) -> ProviderConnection:
    """Change a connection; credentials given replace the stored ones key by key."""
    adapter = adapter_class(connection.provider)
    changed = []
    if name is not None and name.strip():
        connection.name = name.strip()[:120]
        changed.append("name")
    if base_url is not None:
        if not base_url.startswith(("http://", "https://")):
            raise ConnectionSettingsError("base URL must start with http:// or https://")
        connection.base_url = base_url.rstrip("/")
        changed.append("base_url")
    if credentials:
        unknown = sorted(set(credentials) - set(adapter.credential_fields))
        if unknown:
            raise ConnectionSettingsError(f"credentials have unknown keys: {', '.join(unknown)}")
        connection.credentials = {**connection.credentials, **credentials}
        changed.append("credentials")
    if options is not None:
        connection.options = options
        changed.append("options")
    with transaction.atomic():
        connection.save(update_fields=changed or None)
        audit_record(
            action="connection.updated",
            actor=actor,
            project=connection.project,
            obj=connection,
            # which fields changed, never their values: credentials are secret
            data={"fields": changed},
        )
    return connection


def connection_disconnect(*, connection: ProviderConnection, actor=None) -> ProviderConnection:
    """Deactivate a connection: no more webhooks or syncs; its sessions stay for the record.

    A webhook the provider holds for it is removed first, where the provider allows that;
    a provider that cannot be reached does not keep kycdash connected.
    """
    adapter = adapter_for(connection)
    note = ""
    if Capability.REGISTER_WEBHOOK in adapter.capabilities:
        try:
            adapter.unregister_webhook()
        except (ProviderError, NotImplementedError) as exc:
            note = f"webhook not removed at the provider: {exc}"
    with transaction.atomic():
        connection.is_active = False
        connection.save(update_fields=["is_active"])
        audit_record(
            action="connection.disconnected",
            actor=actor,
            project=connection.project,
            obj=connection,
            data={"note": note},
        )
    return connection


@transaction.atomic
def connection_sync_start(
    *, connection: ProviderConnection, actor=None, full: bool = False
) -> None:
    """Queue a sync now ("sync now" in the admin page); its progress lands on the row."""
    if not connection.is_active:
        raise ConnectionSettingsError("This connection is disconnected.")
    if Capability.SYNC not in adapter_for(connection).capabilities:
        raise ConnectionSettingsError("This provider cannot be listed; it sends webhooks.")
    audit_record(
        action="connection.sync_requested",
        actor=actor,
        project=connection.project,
        obj=connection,
        data={"full": full},
    )
    from providers.tasks import sync_connection

    transaction.on_commit(lambda: sync_connection.delay(str(connection.pk), full))


def webhook_store(
    *, connection: ProviderConnection, event: InboundEvent
) -> tuple[WebhookEvent, bool]:
    """Store a verified event once per provider event id; returns (event, created)."""
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                connection=connection,
                event_id=event.event_id[:200],
                event_type=event.event_type[:100],
                external_id=event.external_id[:200],
                payload=dict(event.payload),
            )
            audit_record(
                action="webhook.received",
                project=connection.project,
                obj=stored,
                actor_label=f"{connection.provider}:webhook",
                data={"event_type": stored.event_type, "event_id": stored.event_id},
            )
    except IntegrityError:
        existing = WebhookEvent.objects.get(connection=connection, event_id=event.event_id[:200])
        return existing, False
    return stored, True


def webhook_process(*, event_id: int) -> WebhookEvent:
    """Act on a stored event: re-read the session it names and ingest it.

    The event body is never trusted as session data; only the provider's API is.
    Provider errors propagate so the Celery task can retry; the event stays
    ``received`` until it is processed.
    """
    event = WebhookEvent.objects.select_related("connection__project").get(pk=event_id)
    if event.state == WebhookEvent.State.PROCESSED:
        return event
    adapter = adapter_for(event.connection)
    if event.event_type not in adapter.session_event_types or not event.external_id:
        event.state = WebhookEvent.State.IGNORED
        event.processed_at = timezone.now()
        event.save(update_fields=["state", "processed_at"])
        return event
    session_import(connection=event.connection, external_id=event.external_id, source="webhook")
    event.state = WebhookEvent.State.PROCESSED
    event.processed_at = timezone.now()
    event.error = ""
    event.save(update_fields=["state", "processed_at", "error"])
    return event


def webhook_failed(*, event_id: int, error: str) -> None:
    WebhookEvent.objects.filter(pk=event_id).update(
        state=WebhookEvent.State.FAILED, error=error[:2000], processed_at=timezone.now()
    )


def session_import(
    *, connection: ProviderConnection, external_id: str, source: str = "import"
) -> IngestResult:
    """Pull one session with its evidence by the provider's own id and ingest it."""
    snapshot = adapter_for(connection).fetch_snapshot(external_id, with_evidence=True)
    return session_ingest(connection=connection, snapshot=snapshot, source=source)
