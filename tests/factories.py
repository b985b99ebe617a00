"""factory_boy factories for kycdash's models."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from kycdash.accounts.models import Membership, Project, Role
from providers.models import ProviderConnection
from reviews.models import ReviewTask, VerificationSession


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    project = factory.SubFactory(ProjectFactory)
    role = Role.REVIEWER


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderConnection

    project = factory.SubFactory(ProjectFactory)
    provider = "incode"
    name = factory.Sequence(lambda n: f"Incode {n}")
    base_url = "http://127.0.0.1:9/sandbox/incode"
    credentials = factory.LazyFunction(
        lambda: {"api_key": "sandbox-key", "admin_token": "sandbox-admin-token"}
    )


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VerificationSession

    connection = factory.SubFactory(ConnectionFactory)
    project = factory.LazyAttribute(lambda s: s.connection.project)
    external_id = factory.Sequence(lambda n: f"interview-{n:05d}")
    status = "needs_review"
    provider_status = "ONBOARDING_FINISHED"
    full_name = factory.Faker("name")
    fingerprint = factory.Sequence(lambda n: f"{n:064d}")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewTask

    session = factory.SubFactory(SessionFactory)
    queue = "status"
    reason = "Provider asks for manual review"
    trigger = factory.Sequence(lambda n: f"test:{n}")
    sla_due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=8))
