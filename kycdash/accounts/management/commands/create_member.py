import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kycdash.accounts.models import Membership, Project, Role
from kycdash.audit.services import audit_record


class Command(BaseCommand):
    help = "Create a user (or reuse one) and give them a role in a project."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--project", required=True, help="project slug")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password", default="", help="for a new user; a random one is printed if omitted"
        )

    @transaction.atomic
    def handle(self, *args, username, project, role, email, password, **options) -> None:
        project_obj = Project.objects.filter(slug=project).first()
        if project_obj is None:
            raise CommandError(f"No project with the slug {project!r}.")
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None:
            password = password or secrets.token_urlsafe(12)
            user = user_model.objects.create_user(username=username, email=email, password=password)
            self.stdout.write(f"User {username} created with password: {password}")
        membership, _ = Membership.objects.update_or_create(
            user=user, project=project_obj, defaults={"role": role}
        )
        audit_record(
            action="member.role_set",
            project=project_obj,
            obj=membership,
            actor_label="cli",
            data={"user": username, "role": role},
        )
        self.stdout.write(f"{username} is {membership.get_role_display()} in {project_obj.slug}.")
