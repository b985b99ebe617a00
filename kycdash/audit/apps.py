from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kycdash.audit"
    label = "audit"
    verbose_name = "Audit trail"
