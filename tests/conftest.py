"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from kycdash.accounts.models import Role
from kycdash.celery import app as celery_app
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytest_plugins = ["tests.incode_fixtures"]

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _eager_celery(request, settings, tmp_path):
    """Tasks run in-process unless a test asks for a real worker; files go to a temp dir."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Retries stay real but short.
    settings.PROVIDER_BACKOFF_BASE_SECONDS = 0.01
    settings.PROVIDER_TIMEOUT_SECONDS = 5
    settings.WRITEBACK_BACKOFF_BASE_SECONDS = 0.05
    settings.WRITEBACK_BACKOFF_CAP_SECONDS = 0.5
    if request.node.get_closest_marker("worker"):
        yield
        return
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def project(db):
    return ProjectFactory(name="Acme Bank", slug="acme")


@pytest.fixture
def member(project):
    """member(role) -> a user with that role in ``project``."""

    def make(role: str = Role.REVIEWER, *, project=project, username: str | None = None):
        kwargs = {"username": username} if username else {}
        user = UserFactory(**kwargs)
        MembershipFactory(user=user, project=project, role=role)
        return user

    return make


@pytest.fixture
def reviewer(member):
    return member(Role.REVIEWER)


@pytest.fixture
def senior(member):
    return member(Role.SENIOR_REVIEWER)


@pytest.fixture
def auditor(member):
    return member(Role.AUDITOR)


@pytest.fixture
def admin_user(member):
    return member(Role.ADMIN)


@pytest.fixture
def outsider(db):
    """A user who belongs to another project only."""
    user = UserFactory()
    MembershipFactory(user=user, role=Role.REVIEWER)
    return user
