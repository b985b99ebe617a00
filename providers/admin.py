"""Provider connections in Django admin; credentials are never shown back."""

from django.contrib import admin

from providers.models import ProviderConnection, WebhookEvent


@admin.register(ProviderConnection)
class ProviderConnectionAdmin(admin.ModelAdmin):
    list_display = ("name", "provider", "project", "base_url", "is_active", "sync_state")
    list_filter = ("provider", "is_active", "sync_state")
    exclude = ("credentials",)
    readonly_fields = ("webhook_secret", "last_sync_started_at", "last_sync_finished_at")


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "event_type", "connection", "state", "received_at")
    list_filter = ("state", "event_type")
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]
