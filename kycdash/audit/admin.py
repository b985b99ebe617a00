"""The audit trail in Django admin: read-only, since every row is part of the hash chain."""

from django.contrib import admin

from kycdash.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("seq", "created_at", "action", "actor_label", "project", "object_type")
    list_filter = ("action",)
    search_fields = ("action", "actor_label", "object_id")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
