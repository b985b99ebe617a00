from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kycdash.accounts.models import Project
from kycdash.audit.services import audit_record


class Command(BaseCommand):
    help = "Create a project (a tenant)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", default="")

    @transaction.atomic
    def handle(self, *args, slug: str, name: str, **options) -> None:
        if Project.objects.filter(slug=slug).exists():
            raise CommandError(f"A project with the slug {slug!r} exists already.")
        project = Project.objects.create(slug=slug, name=name or slug.replace("-", " ").title())
        audit_record(action="project.created", project=project, obj=project, actor_label="cli")
        self.stdout.write(f"Project {project.slug} created (id {project.pk}).")
