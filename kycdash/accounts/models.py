"""Tenancy: projects, memberships and roles.

Every object a user can reach hangs off a Project. ``ProjectScopedQuerySet``
is the one place that turns "who is asking" into a filter; views and the API
use it and never filter by project themselves.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    REVIEWER = "reviewer", "Reviewer"
    SENIOR_REVIEWER = "senior_reviewer", "Senior reviewer"
    ADMIN = "admin", "Admin"
    AUDITOR = "auditor", "Auditor"


# What each role may do in its project. Superusers may do everything everywhere.
DECIDING_ROLES = frozenset({Role.REVIEWER, Role.SENIOR_REVIEWER})
SECOND_APPROVER_ROLES = frozenset({Role.SENIOR_REVIEWER})
MANAGING_ROLES = frozenset({Role.ADMIN})
AUDIT_READING_ROLES = frozenset({Role.AUDITOR, Role.ADMIN})
# Who hands tasks to others or takes them back (UI.md: admins, senior reviewers).
ASSIGNING_ROLES = frozenset({Role.SENIOR_REVIEWER, Role.ADMIN})


class ProjectScopedQuerySet(models.QuerySet):
    """A queryset whose rows belong to a project reachable through ``project_path``."""

    project_path: str = "project"

    def _project_filter(self, value, lookup: str = "") -> dict:
        if self.project_path == "id":
            return {f"id{lookup}": value}
        return {f"{self.project_path}_id{lookup}": value}

    def visible_to(self, user, *, roles: frozenset[str] | None = None) -> Self:
        """Rows of the projects where ``user`` is a member (with one of ``roles``, if given)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        memberships = Membership.objects.filter(user=user)
        if roles is not None:
            memberships = memberships.filter(role__in=roles)
        return self.filter(**self._project_filter(memberships.values("project_id"), "__in"))

    def in_project(self, project: Project) -> Self:
        return self.filter(**self._project_filter(project.id))


class ProjectQuerySet(ProjectScopedQuerySet):
    project_path = "id"


class Project(models.Model):
    """A tenant: its members, provider connections, routing rules and SLAs."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Proof-of-address routing, after Flonk's UpdatePoaSettingsDto. Confidences are 0..1.
    poa_enabled = models.BooleanField(default=True)
    poa_auto_approve_threshold = models.FloatField(default=0.85)
    poa_manual_review_threshold = models.FloatField(default=0.5)
    poa_required_for_verification = models.BooleanField(default=False)
    poa_force_manual_review = models.BooleanField(default=False)

    # Status routing: an overall provider score (0..100) under this opens a status task.
    status_min_score = models.FloatField(default=60.0)

    # Four-eyes: a decision in these queues needs a second, different senior reviewer.
    four_eyes_poa = models.BooleanField(default=False)
    four_eyes_status = models.BooleanField(default=False)
    four_eyes_antifraud = models.BooleanField(default=False)

    sla_poa_hours = models.PositiveIntegerField(default=24)
    sla_status_hours = models.PositiveIntegerField(default=8)
    sla_antifraud_hours = models.PositiveIntegerField(default=4)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def sla_hours(self, queue: str) -> int:
        return getattr(self, f"sla_{queue}_hours")

    def requires_four_eyes(self, queue: str) -> bool:
        return getattr(self, f"four_eyes_{queue}")


class Membership(models.Model):
    """A user's role in one project. A user may belong to several projects."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "project"], name="one_membership_per_project")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} in {self.project}"


def role_in(user, project: Project) -> str | None:
    """The user's role in ``project``; superusers act as admins everywhere."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    membership = Membership.objects.filter(user=user, project=project).only("role").first()
    return membership.role if membership else None


def may_decide(user, project: Project) -> bool:
    return user.is_superuser or role_in(user, project) in DECIDING_ROLES


def may_second_approve(user, project: Project) -> bool:
    return user.is_superuser or role_in(user, project) in SECOND_APPROVER_ROLES


def may_manage(user, project: Project) -> bool:
    return user.is_superuser or role_in(user, project) in MANAGING_ROLES


def may_assign(user, project: Project) -> bool:
    """Assign tasks to others and release anyone's task in ``project``."""
    return user.is_superuser or role_in(user, project) in ASSIGNING_ROLES
