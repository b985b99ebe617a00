"""FlonkAdapter normalization and write-back, with HTTP mocked at the client boundary."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from providers.base import (
    Capability,
    CheckStatus,
    EvidenceKind,
    ProviderNotFound,
    SessionStatus,
    WriteBackRequest,
)
from providers.flonk.adapter import FlonkAdapter, map_status, normalize, poa_from
from providers.flonk.client import FlonkClient
from providers.registry import adapter_for
from tests.providers.flonk.conftest import SECRET_KEY, FakeFlonk, load, tiny_jpeg

IMAGES = {
    "front": tiny_jpeg((10, 10, 10)),
    "back": tiny_jpeg((20, 20, 20)),
    "face": tiny_jpeg((30, 30, 30)),
    "poa": tiny_jpeg((40, 40, 40)),
}


def checks_by_key(snapshot):
    return {check.key: check for check in snapshot.checks}


def request(queue: str, outcome: str, *, reason: str = "", note: str = "") -> WriteBackRequest:
    return WriteBackRequest(
        external_id=load("poa_review")["session"]["id"],
        queue=queue,
        outcome=outcome,
        reason=reason,
        note=note,
        reviewer="alice",
        idempotency_key="wb-0001",
    )


def snapshot_of(name: str, **overrides):
    payloads = load(name)
    payloads.update(overrides)
    return normalize(
        payloads["session"]["id"],
        session=payloads["session"],
        verification=payloads["verification"],
        poa=payloads["poa"],
    )


def test_registered_under_flonk(connection):
    adapter = adapter_for(connection)
    assert isinstance(adapter, FlonkAdapter)
    assert adapter.label == "Flonk KYC"
    assert adapter.credential_fields == ("secret_key",)
    assert adapter.sensitive_parameters == ("secret_key",)
    assert adapter.webhook_secret_header == ""
    assert adapter.session_event_types == {
        "verification.completed",
        "verification.status_changed",
        "verification.updated",
    }
    assert {Capability.WEBHOOK, Capability.SYNC, Capability.EVIDENCE} <= adapter.capabilities
    assert adapter.supports_write_back("status")
    assert adapter.supports_write_back("poa")
    assert not adapter.supports_write_back("antifraud")
    assert Capability.REGISTER_WEBHOOK not in adapter.capabilities


@pytest.mark.parametrize(
    ("session", "verification", "expected"),
    [
        ("pending", None, SessionStatus.PENDING),
        ("", None, SessionStatus.PENDING),
        ("connected", None, SessionStatus.IN_PROGRESS),
        ("in_progress", None, SessionStatus.IN_PROGRESS),
        ("processing", None, SessionStatus.IN_PROGRESS),
        ("completed", None, SessionStatus.IN_PROGRESS),
        ("completed", "processing", SessionStatus.IN_PROGRESS),
        ("completed", "approved", SessionStatus.APPROVED),
        ("completed", "rejected", SessionStatus.REJECTED),
        ("completed", "manual_review", SessionStatus.NEEDS_REVIEW),
        ("completed", "failed", SessionStatus.FAILED),
        ("completed", "something_new", SessionStatus.NEEDS_REVIEW),
        ("failed", None, SessionStatus.FAILED),
        ("expired", None, SessionStatus.EXPIRED),
        ("expired", "approved", SessionStatus.APPROVED),
        ("COMPLETED", "APPROVED", SessionStatus.APPROVED),
        ("teleported", None, SessionStatus.IN_PROGRESS),
    ],
)
def test_status_mapping(session, verification, expected):
    assert map_status(session, verification) == expected


def test_clean_is_approved_with_person_poa_and_evidence(mocked_adapter):
    adapter, fake = mocked_adapter("clean", images=IMAGES)
    payloads = fake.payloads
    snapshot = adapter.fetch_snapshot(payloads["session"]["id"])

    assert snapshot.status == SessionStatus.APPROVED
    assert snapshot.provider_status == "completed / approved"
    assert snapshot.review_requested is False
    assert snapshot.overall_score == round(payloads["verification"]["confidence"] * 100, 2)
    extracted = payloads["verification"]["extracted_data"]
    person = snapshot.person
    assert person.full_name == extracted["full_name"]
    assert (person.first_name, person.last_name) == (
        extracted["first_name"],
        extracted["last_name"],
    )
    assert person.birth_date == dt.date.fromisoformat(extracted["date_of_birth"])
    assert person.expiry_date == dt.date.fromisoformat(extracted["expiry_date"])
    assert person.nationality == extracted["nationality"]
    assert person.document_type == payloads["verification"]["document_type"]
    assert person.email == payloads["session"]["clientMetadata"]["email"]
    assert snapshot.poa is not None and snapshot.poa.provider_status == "auto_approved"
    assert snapshot.poa.confidence == payloads["poa"]["confidenceScore"]
    assert snapshot.poa.manual_review_requested is False
    assert snapshot.antifraud is None and snapshot.related_sessions == ()
    assert snapshot.test_mode is True
    assert snapshot.started_at == dt.datetime.fromisoformat(payloads["session"]["createdAt"])
    assert snapshot.updated_at == dt.datetime.fromisoformat(payloads["session"]["updatedAt"])
    assert [(e.kind, e.external_ref, e.filename) for e in snapshot.evidence] == [
        (EvidenceKind.FRONT, "front", "front.jpg"),
        (EvidenceKind.BACK, "back", "back.jpg"),
        (EvidenceKind.SELFIE, "face", "face.jpg"),
        (EvidenceKind.POA, "poa", "poa.jpg"),
    ]
    assert all(e.content == IMAGES[e.external_ref] for e in snapshot.evidence)
    # the widget's token stays out of what kycdash keeps
    assert "embedToken" not in snapshot.raw["session"]
    assert "qrCodeUrl" not in snapshot.raw["session"]
    assert snapshot.raw["verification"] == payloads["verification"]


def test_manual_review_asks_for_a_person(mocked_adapter):
    adapter, fake = mocked_adapter("manual_review")
    snapshot = adapter.fetch_snapshot(fake.payloads["session"]["id"], with_evidence=False)
    confidence = fake.payloads["verification"]["confidence"]
    assert snapshot.status == SessionStatus.NEEDS_REVIEW
    assert snapshot.provider_status == "completed / manual_review"
    assert snapshot.review_requested is True
    assert snapshot.review_reason == (
        f"Flonk's automated verification asks for manual review (confidence {confidence:.2f})"
    )
    check = checks_by_key(snapshot)["verification"]
    assert (check.status, check.value, check.provider_wording) == (
        CheckStatus.MANUAL,
        f"{confidence:.2f}",
        "manual_review",
    )
    assert snapshot.poa is None  # the PoA read says not_found
    assert snapshot.evidence == ()
    assert not [r for r in fake.requests if "/images" in r.url.path]


def test_duplicate_feeds_antifraud_with_the_previous_session(mocked_adapter):
    adapter, fake = mocked_adapter("duplicate")
    snapshot = adapter.fetch_snapshot(fake.payloads["session"]["id"], with_evidence=False)
    duplicate = fake.payloads["verification"]["duplicate_verification"]
    previous = duplicate["previous_verification_id"]

    assert snapshot.status == SessionStatus.APPROVED
    assert snapshot.antifraud is not None
    assert snapshot.antifraud.result == "failed"
    assert snapshot.antifraud.step_name == "duplicate_verification"
    assert snapshot.antifraud.colliding_external_id == previous
    assert "document number" in snapshot.antifraud.detail
    (related,) = snapshot.related_sessions
    assert (related.external_id, related.relation, related.status) == (
        previous,
        "previous_verification",
        "document_number",
    )
    assert related.created_at == dt.datetime.fromisoformat(duplicate["previous_verified_at"])
    check = checks_by_key(snapshot)["duplicate_verification"]
    assert (check.status, check.group, check.value) == (CheckStatus.FAIL, "antifraud", previous)
    assert snapshot.scores["duplicate_similarity"] == round(duplicate["similarity_score"] * 100, 2)


def test_a_duplicate_check_that_found_nothing_passes():
    payloads = load("clean")
    verification = {
        **payloads["verification"],
        "duplicate_verification": {
            "is_duplicate": False,
            "previous_verification_id": "",
            "previous_verified_at": "",
            "match_type": "document_number",
            "similarity_score": 0,
        },
    }
    snapshot = snapshot_of("clean", verification=verification)
    assert snapshot.antifraud.result == "passed"
    assert snapshot.related_sessions == ()
    assert checks_by_key(snapshot)["duplicate_verification"].status == CheckStatus.OK


def test_poa_review_carries_confidence_field_scores_and_flonks_request(mocked_adapter):
    adapter, fake = mocked_adapter("poa_review")
    snapshot = adapter.fetch_snapshot(fake.payloads["session"]["id"], with_evidence=False)
    read = fake.payloads["poa"]
    poa = snapshot.poa
    assert poa is not None
    assert poa.confidence == read["confidenceScore"]
    assert poa.field_scores == read["confidenceBreakdown"]["fieldScores"]
    assert poa.provider_status == "manual_review"
    assert poa.manual_review_requested is True
    assert poa.name == read["data"]["fullName"]
    assert poa.address == (
        f"{read['data']['address']}, {read['data']['postalCode']} {read['data']['city']}, "
        f"{read['data']['country']}"
    )
    assert poa.document_type == read["data"]["documentType"]
    assert poa.issue_date == dt.date.fromisoformat(read["data"]["issueDate"])
    checks = checks_by_key(snapshot)
    assert checks["poa"].status == CheckStatus.MANUAL
    assert checks["poa.address_match"].status == CheckStatus.WARN
    assert checks["poa.weights"].value == (
        f"{read['confidenceBreakdown']['achievedWeight']:g} of "
        f"{read['confidenceBreakdown']['totalWeight']:g}"
    )
    assert checks["poa.full_name"].status == CheckStatus.WARN  # 0.5: initial only
    assert snapshot.scores["poa_confidence"] == round(read["confidenceScore"] * 100, 2)


@pytest.mark.parametrize("decided", ["approved", "rejected"])
def test_a_poa_a_person_decided_is_not_routed_by_confidence_again(decided):
    payloads = load("poa_review")
    poa = poa_from({**payloads["poa"], "poaStatus": decided}, payloads["verification"])
    assert poa.decided and poa.confidence == pytest.approx(0.661)
    assert poa.manual_review_requested is False
    assert poa.provider_status == decided
    assert poa.field_scores  # the breakdown stays for the reviewer


def test_poa_falls_back_to_the_verifications_poa_verification():
    payloads = load("poa_review")
    poa = poa_from({"status": "not_found", "jobId": None}, payloads["verification"])
    assert poa.confidence == payloads["verification"]["poa_verification"]["confidence_score"]
    assert poa.address == payloads["verification"]["poa_verification"]["verified_address"]
    assert poa.manual_review_requested is True
    assert poa_from({"status": "not_found"}, {}) is None


def test_rejected_keeps_the_rejection_reason():
    snapshot = snapshot_of("rejected")
    reason = load("rejected")["verification"]["rejection_reason"]
    assert snapshot.status == SessionStatus.REJECTED
    assert checks_by_key(snapshot)["rejection_reason"].value == reason
    assert snapshot.overall_score < 60  # the project's low-score rule sees it too


def test_reuse_source_is_a_related_session():
    snapshot = snapshot_of("reused")
    reuse = load("reused")["verification"]["reuse_source"]
    (related,) = snapshot.related_sessions
    assert (related.external_id, related.relation, related.status) == (
        reuse["original_attempt_id"],
        "reuse_source",
        "full_reuse",
    )
    assert checks_by_key(snapshot)["reuse_source"].value == "full_reuse"


def test_in_progress_reads_no_verification(mocked_adapter):
    adapter, fake = mocked_adapter("in_progress", images={"front": IMAGES["front"]})
    snapshot = adapter.fetch_snapshot(fake.payloads["session"]["id"])
    assert snapshot.status == SessionStatus.IN_PROGRESS
    assert snapshot.provider_status == "in_progress"
    assert snapshot.poa is None and snapshot.checks == () and snapshot.overall_score is None
    assert [e.kind for e in snapshot.evidence] == [EvidenceKind.FRONT]
    paths = [r.url.path for r in fake.requests]
    assert not [p for p in paths if p.endswith(("/verification", "/poa"))]


def test_a_completed_session_whose_verification_is_not_there_yet(mocked_adapter):
    payloads = load("in_progress")
    adapter, fake = mocked_adapter("in_progress")
    fake.payloads["session"] = {**payloads["session"], "status": "completed"}
    snapshot = adapter.fetch_snapshot(payloads["session"]["id"], with_evidence=False)
    assert snapshot.status == SessionStatus.IN_PROGRESS
    assert snapshot.provider_status == "completed"


def test_test_mode_comes_from_the_session_then_the_key(connection):
    payloads = load("clean")
    live_session = {**payloads["session"], "testMode": False}
    assert snapshot_of("clean", session=live_session).test_mode is False
    unmarked = {k: v for k, v in payloads["session"].items() if k != "testMode"}
    verification = {k: v for k, v in payloads["verification"].items() if k != "test_mode"}
    common = {"session": unmarked, "verification": verification, "poa": payloads["poa"]}
    assert normalize("x", **common, key_test_mode=True).test_mode is True
    assert normalize("x", **common, key_test_mode=False).test_mode is False


def test_live_key_marks_sessions_without_a_flag_as_live(connection):
    connection.credentials = {"secret_key": "sk_live_abc123"}
    payloads = load("clean")
    payloads["session"].pop("testMode")
    payloads["verification"].pop("test_mode")
    fake = FakeFlonk(payloads)
    client = FlonkClient.from_connection(connection, transport=httpx.MockTransport(fake))
    snapshot = FlonkAdapter(connection, client=client).fetch_snapshot(
        payloads["session"]["id"], with_evidence=False
    )
    assert snapshot.test_mode is False


def test_the_same_payloads_give_the_same_snapshot():
    assert snapshot_of("poa_review") == snapshot_of("poa_review")


def test_odd_values_are_tolerated():
    payloads = load("clean")
    verification = {
        **payloads["verification"],
        "confidence": "high",
        "extracted_data": {
            "full_name": None,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "date_of_birth": "10/12/1815",
        },
        "poa_verification": {"status": "pending", "confidence_score": None},
    }
    snapshot = snapshot_of(
        "clean",
        verification=verification,
        poa={"status": "processing", "jobId": "j", "confidenceScore": 7, "poaStatus": "pending"},
    )
    assert snapshot.overall_score is None
    assert snapshot.person.full_name == "Ada Lovelace"
    assert snapshot.person.birth_date is None
    assert snapshot.poa.confidence is None and snapshot.poa.provider_status == "pending"


def test_unknown_image_types_and_oversized_images_are_skipped(mocked_adapter, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    big = tiny_jpeg() + b"\0" * 2000
    adapter, fake = mocked_adapter("clean", images={"face": IMAGES["face"], "poa": big})
    fake.images["signature"] = IMAGES["front"]
    snapshot = adapter.fetch_snapshot(fake.payloads["session"]["id"])
    assert [e.external_ref for e in snapshot.evidence] == ["face"]
    downloaded = [r.url.path.rsplit("/", 1)[-1] for r in fake.requests if "/images/" in r.url.path]
    assert downloaded == ["face"]  # the listing's size spares the download


def test_unknown_session_is_not_found(mocked_adapter):
    adapter, _ = mocked_adapter("clean")
    with pytest.raises(ProviderNotFound) as raised:
        adapter.fetch_snapshot("no-such-session")
    assert raised.value.message.startswith("session_not_found: ")


# ---------------------------------------------------------------- write-back


def test_status_approve_sends_the_decision_then_the_note(mocked_adapter):
    adapter, fake = mocked_adapter("poa_review")
    result = adapter.write_decision(
        request("status", "approve", reason="verified", note="ID checked by hand")
    )
    session_id = fake.payloads["session"]["id"]
    assert result.supported and result.status_code == 200
    assert set(result.response) == {"decision", "note"}
    (decision, note) = fake.writes
    assert decision[1] == f"/v1/sessions/{session_id}/verification/status"
    assert decision[3] == {"status": "approved", "reason": "verified", "reviewedBy": "alice"}
    assert decision[2]["idempotency-key"] == "wb-0001"
    assert note[1] == f"/v1/sessions/{session_id}/notes"
    assert note[3] == {"content": "ID checked by hand", "author": "alice"}
    assert note[2]["idempotency-key"] == "wb-0001:note"


def test_status_reject_without_a_note_sends_one_call(mocked_adapter):
    adapter, fake = mocked_adapter("manual_review")
    result = adapter.write_decision(request("status", "reject", reason="fake_document"))
    (decision,) = fake.writes
    assert decision[3] == {"status": "rejected", "reason": "fake_document", "reviewedBy": "alice"}
    assert set(result.response) == {"decision"}


@pytest.mark.parametrize(("outcome", "status"), [("approve", "approved"), ("reject", "rejected")])
def test_poa_decisions_go_to_the_poa_status_call(mocked_adapter, outcome, status):
    adapter, fake = mocked_adapter("poa_review")
    result = adapter.write_decision(request("poa", outcome, reason="address_mismatch"))
    (decision,) = fake.writes
    assert decision[1].endswith("/poa/status")
    assert decision[3]["status"] == status
    assert result.response["decision"]["poaStatus"] == status


@pytest.mark.parametrize("outcome", ["resolve_false_positive", "confirm_fraud"])
def test_antifraud_decisions_stay_local(mocked_adapter, outcome):
    adapter, fake = mocked_adapter("duplicate")
    result = adapter.write_decision(request("antifraud", outcome, note="twins"))
    assert result.supported is False
    assert fake.requests == []


@pytest.mark.parametrize(
    ("queue", "outcome"), [("status", "confirm_fraud"), ("poa", "maybe"), ("nowhere", "approve")]
)
def test_an_outcome_outside_its_queue_is_a_callers_bug(mocked_adapter, queue, outcome):
    adapter, fake = mocked_adapter("poa_review")
    with pytest.raises(ValueError):
        adapter.write_decision(request(queue, outcome))
    assert fake.requests == []


def test_test_connection_lists_one_session(connection):
    seen = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json={"data": [], "hasMore": False, "nextCursor": None})

    client = FlonkClient.from_connection(connection, transport=httpx.MockTransport(handler))
    FlonkAdapter(connection, client=client).test_connection()
    assert seen[0].url.path == "/base/v1/sessions" and seen[0].url.params["limit"] == "1"
    assert seen[0].headers["Authorization"] == f"Bearer {SECRET_KEY}"


def test_iter_session_ids_walks_the_listing(connection):
    pages = iter(
        [
            {"data": [{"id": "a"}, {"id": "b"}], "hasMore": True, "nextCursor": "n"},
            {"data": [{"id": "c"}], "hasMore": False, "nextCursor": None},
        ]
    )
    client = FlonkClient.from_connection(
        connection, transport=httpx.MockTransport(lambda r: httpx.Response(200, json=next(pages)))
    )
    adapter = FlonkAdapter(connection, client=client)
    adapter.list_page_size = 2
    assert list(adapter.iter_session_ids(since=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))) == [
        "a",
        "b",
        "c",
    ]


def test_stored_fixtures_are_what_the_sandbox_answers():
    """The fixtures were taken from the sandbox's API; they stay valid JSON objects."""
    for name in ("clean", "manual_review", "duplicate", "poa_review", "rejected", "reused"):
        payloads = load(name)
        assert payloads["verification"]["id"] == payloads["session"]["id"]
        json.dumps(payloads)
