from django.core.management.base import BaseCommand, CommandError

from providers.management.commands.import_session import _connection
from providers.sync import SyncReport, connection_sync


class Command(BaseCommand):
    help = "Pull the sessions of a connection changed since its last sync (all with --full)."

    def add_arguments(self, parser):
        parser.add_argument("connection_id")
        parser.add_argument("--full", action="store_true", help="pull every session again")

    def handle(self, *args, connection_id: str, full: bool, **options) -> None:
        connection = _connection(connection_id)
        self.stdout.write(f"Syncing {connection} …")

        def progress(report: SyncReport) -> None:
            self.stdout.write(
                f"\r  {report.seen} seen · {report.created} new · {report.changed} changed · "
                f"{report.unchanged} unchanged · {len(report.failed)} failed",
                ending="",
            )
            self.stdout.flush()

        report = connection_sync(connection=connection, full=full, progress=progress)
        self.stdout.write("")
        for external_id, error in report.failed:
            self.stderr.write(f"  skipped {external_id}: {error}")
        self.stdout.write(f"{report.tasks_opened} review tasks opened.")
        if report.error:
            raise CommandError(f"Sync stopped: {report.error}")
