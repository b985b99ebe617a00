import json

from django.core.management.base import BaseCommand, CommandError

from kycdash.accounts.models import Project
from providers.registry import provider_choices
from providers.services import ConnectionSettingsError, connection_create


class Command(BaseCommand):
    help = (
        "Connect a project to a provider; prints the connection id and its webhook URL and secret."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="project slug")
        parser.add_argument("--provider", required=True, choices=[n for n, _ in provider_choices()])
        parser.add_argument("--base-url", required=True)
        parser.add_argument("--credentials", required=True, help="JSON object (see README)")
        parser.add_argument("--name", default="")

    def handle(self, *args, **options) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with the slug {options['project']!r}.")
        try:
            credentials = json.loads(options["credentials"])
        except json.JSONDecodeError as exc:
            raise CommandError(f"--credentials is not valid JSON: {exc.msg}") from exc
        try:
            connection = connection_create(
                project=project,
                provider=options["provider"],
                base_url=options["base_url"],
                credentials=credentials,
                name=options["name"],
            )
        except ConnectionSettingsError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"connection id:  {connection.pk}")
        self.stdout.write(f"webhook URL:    {connection.webhook_url}")
        self.stdout.write(f"webhook secret: {connection.webhook_secret}")
