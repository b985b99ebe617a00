from django.core.management.base import BaseCommand, CommandError

from kycdash.audit.models import AuditEvent
from kycdash.audit.services import audit_verify


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; exits non-zero at the first broken row."

    def handle(self, *args, **options) -> None:
        broken = audit_verify()
        if broken is not None:
            raise CommandError(f"Audit trail broken at {broken}")
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {count} rows verified."))
