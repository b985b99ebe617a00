"""Load the demo: a project, one user per role, and sessions of every provider's sandbox,
pulled over HTTP through each provider's adapter."""

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
from providers.registry import PROVIDER_PACKAGES, adapter_class
from providers.sandboxes import SandboxDriver, all_drivers
from providers.services import connection_create, session_import

DEMO_SLUG = "demo"
DEMO_PASSWORD = "kycdash-demo"  # noqa: S105 - printed for the demo's local logins
DEMO_USERS = (
    ("reviewer", Role.REVIEWER),
    ("senior", Role.SENIOR_REVIEWER),
    ("senior2", Role.SENIOR_REVIEWER),
    ("admin", Role.ADMIN),
    ("auditor", Role.AUDITOR),
)
# How many sessions of each scenario every provider's sandbox gets.
DEMO_SCENARIOS = (("clean", 2), ("status_review", 3), ("antifraud", 2), ("poa_review", 3))


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
            self.stdout.write("Loading the demo from the provider sandboxes …")
            project = self._create()
            self._fill(project)
        self._print_logins(project)

    @transaction.atomic
    def _create(self) -> Project:
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
        return project

    def _fill(self, project: Project) -> None:
        # The server that will serve the demo is not up yet: talk to the sandboxes through a
        # temporary one, over real HTTP, with each connection's URL pointed at it meanwhile.
        # The connections keep SITE_URL, where the demo server will answer.
        with serve_in_background() as url:
            for driver in all_drivers():
                self._fill_provider(project, driver, url)

    def _fill_provider(self, project: Project, driver: SandboxDriver, url: str) -> None:
        label = adapter_class(driver.provider).label
        credentials = driver.create_account(key=f"demo-{driver.provider}")
        connection = connection_create(
            project=project,
            provider=driver.provider,
            name=f"{label} (sandbox)",
            base_url=f"{settings.SITE_URL}/sandbox/{driver.provider}",
            credentials=credentials,
        )
        pulling = copy.copy(connection)
        pulling.base_url = f"{url}/sandbox/{driver.provider}"
        driver.connect(pulling)
        seed, sessions, tasks = 1000, 0, 0
        for scenario, count in DEMO_SCENARIOS:
            if scenario not in driver.scenarios:
                continue
            for _ in range(count):
                seed += 1
                external_id = driver.create_session(credentials, scenario, seed=seed)
                result = session_import(connection=pulling, external_id=external_id, source="demo")
                sessions += 1
                tasks += len(result.opened)
        self.stdout.write(f"  {label}: {sessions} sessions, {tasks} review tasks")

    def _print_logins(self, project: Project) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDemo project '{project.name}' — log in at {settings.SITE_URL}/ as:"
            )
        )
        for username, role in DEMO_USERS:
            self.stdout.write(f"  {role.label:<16} {username:<10} password: {DEMO_PASSWORD}")
        sandboxes = ", ".join(f"{settings.SITE_URL}/sandbox/{n}/" for n in PROVIDER_PACKAGES)
        self.stdout.write(f"What each provider's sandbox heard: {sandboxes}\n")
