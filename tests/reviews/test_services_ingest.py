import dataclasses

import pytest
from django.core.files.storage import default_storage

from kycdash.audit.models import AuditEvent
from providers.base import EvidenceFile
from reviews.evidence import EvidenceRejected
from reviews.models import Evidence, ReviewTask, VerificationSession
from reviews.services import session_ingest
from tests.factories import ConnectionFactory
from tests.reviews.snapshots import antifraud_failed, image_bytes, poa, snapshot


@pytest.fixture
def connection(project):
    return ConnectionFactory(project=project)


def test_ingest_creates_the_session_evidence_and_tasks(connection):
    snap = snapshot(antifraud=antifraud_failed(), poa=poa(0.7))
    result = session_ingest(connection=connection, snapshot=snap, source="test")

    assert result.created and result.changed
    session = result.session
    assert session.full_name == "Ada Lovelace"
    assert session.project == connection.project
    assert sorted(t.queue for t in result.opened) == ["antifraud", "poa", "status"]
    evidence = {e.kind: e for e in session.evidence.all()}
    assert set(evidence) == {"front", "selfie"}
    front = evidence["front"]
    assert front.content_type == "image/jpeg" and (front.width, front.height) == (64, 40)
    assert default_storage.exists(front.file.name) and default_storage.exists(front.thumbnail.name)
    assert (
        AuditEvent.objects.filter(action="session.ingested", object_id=str(session.pk)).count() == 1
    )


def test_the_same_snapshot_twice_changes_nothing(connection):
    snap = snapshot(antifraud=antifraud_failed())
    session_ingest(connection=connection, snapshot=snap, source="test")
    audit_rows = AuditEvent.objects.count()

    again = session_ingest(connection=connection, snapshot=snap, source="test")

    assert not again.created and not again.changed and again.opened == []
    assert VerificationSession.objects.count() == 1
    assert ReviewTask.objects.count() == 2
    assert Evidence.objects.count() == 2
    assert AuditEvent.objects.count() == audit_rows


def test_a_changed_snapshot_updates_without_a_second_task(connection):
    session_ingest(connection=connection, snapshot=snapshot(), source="test")
    changed = snapshot(provider_status="ONBOARDING_FINISHED / MANUAL", overall_score=70.0)
    result = session_ingest(connection=connection, snapshot=changed, source="test")
    assert result.changed and result.opened == []
    assert ReviewTask.objects.filter(queue="status").count() == 1
    assert result.session.overall_score == 70.0


def test_a_decided_trigger_is_not_reopened_by_a_later_ingest(connection):
    first = session_ingest(connection=connection, snapshot=snapshot(), source="test")
    ReviewTask.objects.filter(pk=first.opened[0].pk).update(state="done")
    session_ingest(connection=connection, snapshot=snapshot(scores={"overall": 71.0}), source="t")
    assert ReviewTask.objects.filter(queue="status").count() == 1


def test_a_new_signal_after_a_decision_opens_a_new_task(connection):
    first = session_ingest(connection=connection, snapshot=snapshot(), source="test")
    ReviewTask.objects.filter(pk=first.opened[0].pk).update(state="done")
    again = snapshot(provider_status="ONBOARDING_FINISHED / MANUAL_PENDING")
    result = session_ingest(connection=connection, snapshot=again, source="test")
    assert [t.queue for t in result.opened] == ["status"]


def test_the_same_file_is_stored_once(connection):
    image = image_bytes("olive")
    snap = snapshot(
        evidence=(
            EvidenceFile(kind="front", content=image),
            EvidenceFile(kind="front", content=image),
        )
    )
    session_ingest(connection=connection, snapshot=snap, source="test")
    assert Evidence.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00 not an image at all", "neither an image nor a PDF"),
        (b"", "empty"),
        (image_bytes(fmt="GIF"), "not accepted"),
    ],
)
def test_bad_evidence_rejects_the_whole_snapshot(connection, content, message):
    snap = snapshot(evidence=(EvidenceFile(kind="front", content=content),))
    with pytest.raises(EvidenceRejected, match=message):
        session_ingest(connection=connection, snapshot=snap, source="test")
    assert VerificationSession.objects.count() == 0
    assert ReviewTask.objects.count() == 0
    assert not AuditEvent.objects.filter(action="session.ingested").exists()


def test_oversized_evidence_is_rejected(connection, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    big = image_bytes(size=(400, 400), fmt="PNG")
    assert len(big) > 1000
    snap = snapshot(evidence=(EvidenceFile(kind="front", content=big),))
    with pytest.raises(EvidenceRejected, match="limit is 1,000"):
        session_ingest(connection=connection, snapshot=snap, source="test")
    assert VerificationSession.objects.count() == 0


def test_pdf_evidence_is_accepted_without_thumbnail(connection):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    snap = snapshot(evidence=(EvidenceFile(kind="poa", content=pdf),))
    result = session_ingest(connection=connection, snapshot=snap, source="test")
    evidence = result.session.evidence.get()
    assert evidence.content_type == "application/pdf" and not evidence.thumbnail


def test_sessions_are_scoped_by_connection(connection, project):
    other = ConnectionFactory(project=project)
    snap = snapshot()
    session_ingest(connection=connection, snapshot=snap, source="test")
    session_ingest(connection=other, snapshot=dataclasses.replace(snap), source="test")
    assert VerificationSession.objects.count() == 2
