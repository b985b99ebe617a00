from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from providers.base import ProviderError
from providers.models import ProviderConnection
from providers.services import session_import
from reviews.evidence import EvidenceRejected


class Command(BaseCommand):
    help = "Pull one session with its evidence by the provider's own id, and route it."

    def add_arguments(self, parser):
        parser.add_argument("connection_id")
        parser.add_argument("external_id", help="the provider's session id (Incode: interviewId)")

    def handle(self, *args, connection_id: str, external_id: str, **options) -> None:
        connection = _connection(connection_id)
        try:
            result = session_import(connection=connection, external_id=external_id)
        except (ProviderError, EvidenceRejected) as exc:
            raise CommandError(str(exc)) from exc
        session = result.session
        verb = "created" if result.created else "updated" if result.changed else "unchanged"
        self.stdout.write(f"session {session.pk} {verb}: status {session.status}")
        for task in result.opened:
            self.stdout.write(f"  opened {task.queue} task {task.pk}: {task.reason}")


def _connection(connection_id: str) -> ProviderConnection:
    try:
        return ProviderConnection.objects.get(pk=connection_id)
    except (ProviderConnection.DoesNotExist, ValidationError):
        raise CommandError(f"No connection with the id {connection_id!r}.") from None
