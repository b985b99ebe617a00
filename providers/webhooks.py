"""The one webhook route for every provider.

Look up the connection, let its adapter verify the request, store the raw
event once per provider event id, answer at once, and process it in Celery.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kycdash.audit.services import audit_record
from providers.base import WebhookRejected, WebhookRequest
from providers.models import ProviderConnection
from providers.services import webhook_store

logger = logging.getLogger(__name__)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@csrf_exempt  # authenticated by the provider's signature or per-connection secret instead
@require_POST
def receive(request: HttpRequest, connection_id, secret: str = "") -> JsonResponse:
    connection = (
        ProviderConnection.objects.filter(pk=connection_id, is_active=True)
        .select_related("project")
        .first()
    )
    if connection is None:
        return _error(404, "unknown_connection", "No active connection has this webhook URL.")
    body = request.body
    if len(body) > settings.WEBHOOK_MAX_BYTES:
        return _error(413, "too_large", "The webhook body is larger than kycdash accepts.")
    webhook = WebhookRequest(
        headers=request.headers, body=body, query=request.GET.dict(), url_secret=secret
    )
    try:
        event = connection.adapter.verify_webhook(webhook)
    except WebhookRejected as exc:
        if exc.status in (401, 403):
            # A failed authentication is worth a trail; the body is not stored.
            with transaction.atomic():
                audit_record(
                    action="webhook.rejected",
                    project=connection.project,
                    obj=connection,
                    actor_label=f"{connection.provider}:webhook",
                    data={"status": exc.status, "reason": exc.message},
                )
        logger.info("webhook for %s rejected: %s", connection.pk, exc.message)
        return _error(exc.status, "rejected", exc.message)

    stored, created = webhook_store(connection=connection, event=event)
    if created:
        from providers.tasks import process_webhook_event

        transaction.on_commit(lambda: process_webhook_event.delay(stored.pk))
    return JsonResponse({"received": True, "duplicate": not created}, status=200)
