"""Fixtures of the review screen tests: connections, tasks and real evidence files."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from reviews import evidence as evidence_store
from reviews.models import Evidence, VerificationSession
from tests.conftest import PASSWORD
from tests.factories import ConnectionFactory, SessionFactory, TaskFactory


def image_bytes(
    size: tuple[int, int] = (64, 48), colour: str = "#3366aa", fmt: str = "PNG"
) -> bytes:
    """A small real image, so evidence goes through the same sniffing as production."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def add_evidence(
    session: VerificationSession, kind: str = "front", *, colour: str = "#3366aa"
) -> Evidence:
    content = image_bytes(colour=colour)
    info = evidence_store.sniff(content)
    name, thumbnail = evidence_store.store(content, info, project_id=session.project_id)
    return Evidence.objects.create(
        session=session,
        kind=kind,
        content_type=info.content_type,
        sha256=info.sha256,
        size=info.size,
        width=info.width,
        height=info.height,
        file=name,
        thumbnail=thumbnail,
    )


@pytest.fixture
def media(settings, tmp_path):
    """Evidence files go to a temporary directory (tests/conftest.py does it too)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def connection(project):
    return ConnectionFactory(project=project, provider="incode")


@pytest.fixture
def make_task(connection):
    """make_task(**fields) -> an open task in ``project`` (session fields via session__)."""

    def make(**kwargs):
        session_fields = {
            key.removeprefix("session__"): kwargs.pop(key)
            for key in list(kwargs)
            if key.startswith("session__")
        }
        session = kwargs.pop("session", None) or SessionFactory(
            connection=connection, **session_fields
        )
        return TaskFactory(session=session, **kwargs)

    return make


@pytest.fixture
def foreign_task(db):
    """A task of a project none of the test users belongs to."""
    return TaskFactory(session=SessionFactory(connection=ConnectionFactory(provider="incode")))


@pytest.fixture
def login(client):
    """login(user) -> the test client, signed in as ``user`` through the real form."""

    def do(user):
        client.force_login(user)
        return client

    return do


__all__ = ["PASSWORD", "add_evidence", "image_bytes"]


@pytest.fixture
def quick_provider(settings):
    """Deliveries to the unreachable test base URL fail at once instead of backing off."""
    settings.PROVIDER_MAX_RETRIES = 0
    settings.PROVIDER_TIMEOUT_SECONDS = 2.0
