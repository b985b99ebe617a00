"""Load the demo: a project, one user per role, and Incode sandbox sessions pulled over HTTP."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import BaseCommand, CommandError
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.db import transaction

from kycdash.accounts.models import Membership, Project, Role
from kycdash.audit.services import audit_record
from providers.models import ProviderConnection
from providers.services import connection_create
from providers.sync import SyncReport, connection_sync

DEMO_SLUG = "demo"
DEMO_PASSWORD = "kycdash-demo"  # noqa: S105 - printed for the demo's local logins
DEMO_USERS = (
    ("reviewer", Role.REVIEWER),
    ("senior", Role.SENIOR_REVIEWER),
    ("senior2", Role.SENIOR_REVIEWER),
    ("admin", Role.ADMIN),
    ("auditor", Role.AUDITOR),
)
INCODE_API_KEY = "demo-incode-api-key"
INCODE_ADMIN_TOKEN = "demo-incode-admin-token"  # noqa: S105 - the sandbox's own demo token
# (scenario, how many): enough to fill every queue with a few cases each.
INCODE_SCENARIOS = (
    ("clean", 3),
    ("manual_review", 4),
    ("low_score", 2),
    ("poa_review", 4),
    ("antifraud_failed", 3),
    ("in_progress", 1),
)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


@contextmanager
def serve_in_background() -> Iterator[str]:
    """Serve this kycdash (sandboxes included) over real HTTP on a free local port."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


class Command(BaseCommand):
    help = "Create the demo project, its users and sandbox sessions (pulled through the API)."

    def handle(self, *args, **options) -> None:
        if not settings.SANDBOXES_ENABLED:
            raise CommandError("The demo needs the sandboxes: set SANDBOXES_ENABLED=1.")
        project = Project.objects.filter(slug=DEMO_SLUG).first()
        if project is None:
            project, connection = self._create()
            self._fill(connection)
        self._print_logins(project)

    @transaction.atomic
    def _create(self) -> tuple[Project, ProviderConnection]:
        from providers.incode.sandbox import services as sandbox

        project = Project.objects.create(
            slug=DEMO_SLUG, name="Acme Bank (demo)", four_eyes_antifraud=True
        )
        audit_record(action="project.created", project=project, obj=project, actor_label="demo")
        user_model = get_user_model()
        for username, role in DEMO_USERS:
            user = user_model.objects.filter(username=username).first()
            if user is None:
                user = user_model.objects.create_user(
                    username=username,
                    email=f"{username}@demo.kycdash.local",
                    password=DEMO_PASSWORD,
                )
            Membership.objects.update_or_create(user=user, project=project, defaults={"role": role})

        account = sandbox.account_get_or_create(
            INCODE_API_KEY, INCODE_ADMIN_TOKEN, name="kycdash demo"
        )
        connection = connection_create(
            project=project,
            provider="incode",
            name="Incode Omni (sandbox)",
            base_url=f"{settings.SITE_URL}/sandbox/incode",
            credentials={"api_key": INCODE_API_KEY, "admin_token": INCODE_ADMIN_TOKEN},
        )
        sandbox.account_configure_webhook(
            account, connection.webhook_url, connection.webhook_secret
        )
        seed = 1000
        for scenario, count in INCODE_SCENARIOS:
            for _ in range(count):
                seed += 1
                sandbox.create_interview(account, scenario, seed=seed)
        return project, connection

    def _fill(self, connection: ProviderConnection) -> None:
        # The server that will serve the demo is not up yet: pull through a temporary one,
        # over real HTTP, with the connection's URL pointed at it for this sync only.
        with serve_in_background() as url:
            pulling = copy.copy(connection)
            pulling.base_url = f"{url}/sandbox/incode"

            def progress(report: SyncReport) -> None:
                self.stdout.write(f"\r  pulled {report.seen} Incode sessions", ending="")
                self.stdout.flush()

            self.stdout.write("Pulling the demo sessions from the Incode sandbox …")
            report = connection_sync(connection=pulling, full=True, progress=progress)
        self.stdout.write("")
        if report.error or report.failed:
            raise CommandError(f"Demo sync failed: {report.error or report.failed}")
        self.stdout.write(f"  {report.created} sessions, {report.tasks_opened} review tasks")

    def _print_logins(self, project: Project) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDemo project '{project.name}' — log in at {settings.SITE_URL}/ as:"
            )
        )
        for username, role in DEMO_USERS:
            self.stdout.write(f"  {role.label:<16} {username:<10} password: {DEMO_PASSWORD}")
        self.stdout.write(
            f"The Incode sandbox's received calls: {settings.SITE_URL}/sandbox/incode/\n"
        )
