"""IncodeAdapter normalization and write-back, with HTTP mocked at the client boundary."""

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
from providers.incode.adapter import IncodeAdapter, map_status, normalize
from providers.incode.client import IncodeClient
from providers.registry import adapter_for
from tests.providers.incode.conftest import load_payloads, tiny_png

ALL_IMAGES = {
    "croppedFrontID": tiny_png((10, 10, 10)),
    "croppedBackID": tiny_png((20, 20, 20)),
    "selfie": tiny_png((30, 30, 30)),
    "croppedFace": tiny_png((40, 40, 40)),
    "document": tiny_png((50, 50, 50)),
}


def checks_by_key(snapshot):
    return {check.key: check for check in snapshot.checks}


def request(queue: str, outcome: str, *, reason: str = "", note: str = "") -> WriteBackRequest:
    return WriteBackRequest(
        external_id="65f1aa00000000000000abcd",
        queue=queue,
        outcome=outcome,
        reason=reason,
        note=note,
        reviewer="alice",
        idempotency_key="wb-0001",
    )


def test_registered_under_incode(connection):
    adapter = adapter_for(connection)
    assert isinstance(adapter, IncodeAdapter)
    assert adapter.label == "Incode Omni"
    assert adapter.credential_fields == ("api_key", "admin_token")
    assert adapter.webhook_secret_header == "X-Webhook-Secret"
    assert Capability.WRITE_POA not in adapter.capabilities
    assert adapter.supports_write_back("status")
    assert adapter.supports_write_back("antifraud")
    assert not adapter.supports_write_back("poa")


def test_manual_review_needs_review_with_reason_and_checks(mocked_adapter):
    adapter, _ = mocked_adapter("manual_review")
    snapshot = adapter.fetch_snapshot("65f1aa00000000000000abcd", with_evidence=False)

    assert snapshot.status == SessionStatus.NEEDS_REVIEW
    assert snapshot.provider_status == "ONBOARDING_FINISHED / MANUAL"
    assert snapshot.review_requested is True
    assert snapshot.review_reason == "RULE_APPLIED"

    checks = checks_by_key(snapshot)
    sharpness = checks["sharpnessFront"]
    assert (sharpness.status, sharpness.group, sharpness.value) == (
        CheckStatus.WARN,
        "idValidation",
        "41.9",
    )
    assert sharpness.provider_wording == "WARN"
    assert sharpness.label == "Sharpness front"
    assert checks["fullNameCrosscheck"].status == CheckStatus.WARN
    assert checks["tamperCheck"].status == CheckStatus.OK
    assert checks["idValidation.overall"].status == CheckStatus.WARN
    assert checks["overall"].status == CheckStatus.MANUAL
    assert checks["overall"].provider_wording == "MANUAL"
    assert checks["appliedRule"].value == "ID quality below 80 goes to review"
    assert checks["livenessScore"].group == "liveness"
    assert checks["maskCheck"].group == "faceRecognition"
    # 12 photo checks + 16 id-specific ones, each kept
    assert sum(1 for c in snapshot.checks if c.group == "idValidation") == 12 + 16 + 1

    assert snapshot.scores == {
        "id_validation": 74.2,
        "liveness": 94.4,
        "face_match": 87.8,
        "overall": 69.3,
    }
    assert snapshot.overall_score == 69.3
    assert snapshot.antifraud is not None and snapshot.antifraud.result == "passed"
    assert snapshot.poa is None


def test_manual_review_person_data(mocked_adapter):
    adapter, _ = mocked_adapter("manual_review")
    person = adapter.fetch_snapshot("x", with_evidence=False).person
    assert person.full_name == "OLIVER HUGHES"
    assert (person.first_name, person.last_name) == ("OLIVER", "HUGHES")
    assert person.birth_date == dt.date(1957, 11, 2)  # from a negative epoch-ms value
    assert person.expiry_date == dt.date(2029, 10, 8)
    assert person.gender == "M"
    assert person.nationality == "GBR"
    assert person.issuing_country == "GBR"
    assert person.document_type == "IdentificationCard"
    assert person.document_number == "RBY731287"
    assert person.address == "57 VICTORIA ROAD, LS1 4AP LEEDS, WEST YORKSHIRE"
    assert person.confidences["full_name"] == 0.918
    assert person.confidences["birth_date"] == 0.931
    assert person.confidences["address"] == 0.929
    assert person.confidences["first_name"] == 0.93


def test_antifraud_failed_carries_step_and_colliding_session(mocked_adapter):
    adapter, _ = mocked_adapter("antifraud_failed")
    snapshot = adapter.fetch_snapshot("x", with_evidence=False)

    assert snapshot.antifraud is not None
    assert snapshot.antifraud.result == "failed"
    assert snapshot.antifraud.step_name == "IdFaceAntifraudExecutor"
    assert snapshot.antifraud.colliding_external_id == "65f1c0ffee00000000c0ffee"
    checks = checks_by_key(snapshot)
    assert checks["existingUser"].status == CheckStatus.WARN
    assert checks["existingUser"].value == "65f1c0ffee00000000c0ffee"
    assert checks["nameMatch"].status == CheckStatus.FAIL
    assert checks["antifraud.overall"].status == CheckStatus.FAIL
    assert snapshot.status == SessionStatus.NEEDS_REVIEW
    assert snapshot.review_requested


def test_poa_review_confidence_is_the_mean_of_the_statement_confidences(mocked_adapter):
    adapter, _ = mocked_adapter("poa_review")
    snapshot = adapter.fetch_snapshot("x", with_evidence=False)

    assert snapshot.status == SessionStatus.APPROVED
    assert snapshot.review_requested is False
    poa = snapshot.poa
    assert poa is not None
    assert poa.confidence == pytest.approx((0.633 + 0.704) / 2)
    assert poa.field_scores == {"address": 0.633, "name": 0.704}
    assert poa.name == "E. DAVIS"
    assert poa.address == "224 HAUPTSTRASSE, FLAT 4, 10115 BERLIN"
    assert poa.issue_date == dt.date(2024, 11, 24)
    assert poa.document_type == "otherPoa"
    assert poa.manual_review_requested is False
    # PoA confidences are not person confidences
    assert "address" in snapshot.person.confidences
    assert snapshot.person.confidences["address"] != 0.633


def test_poa_confidence_from_one_field_or_none(connection):
    ocr = load_payloads("poa_review")["ocr_data"]
    del ocr["ocrDataConfidence"]["poaNameConfidence"]
    snapshot = normalize(
        "x",
        status_payload={"onboardingStatus": "ONBOARDING_FINISHED"},
        score={},
        ocr=ocr,
        antifraud=None,
    )
    assert snapshot.poa.confidence == 0.633
    ocr["ocrDataConfidence"] = {}
    snapshot = normalize(
        "x", status_payload={"onboardingStatus": "UNKNOWN"}, score={}, ocr=ocr, antifraud=None
    )
    assert snapshot.poa is not None and snapshot.poa.confidence is None


def test_clean_is_approved_with_every_check_ok_and_all_evidence(mocked_adapter):
    adapter, fake = mocked_adapter("clean", images=ALL_IMAGES)
    snapshot = adapter.fetch_snapshot("65f1aa00000000000000abcd")

    assert snapshot.status == SessionStatus.APPROVED
    assert snapshot.provider_status == "ONBOARDING_FINISHED / OK"
    # every check Incode gave a status is OK; photoQuality is a bare measurement
    assert {c.status for c in snapshot.checks if c.key != "photoQuality"} == {CheckStatus.OK}
    photo_quality = checks_by_key(snapshot)["photoQuality"]
    assert (photo_quality.status, photo_quality.provider_wording) == (CheckStatus.UNKNOWN, "")
    assert snapshot.overall_score == 87.4
    assert snapshot.poa is not None and snapshot.poa.confidence == pytest.approx(0.9465)
    assert snapshot.person.birth_date == dt.date(1965, 5, 26)

    kinds = {e.external_ref: e.kind for e in snapshot.evidence}
    assert kinds == {
        "croppedFrontID": EvidenceKind.FRONT,
        "croppedBackID": EvidenceKind.BACK,
        "selfie": EvidenceKind.SELFIE,
        "croppedFace": EvidenceKind.PORTRAIT,
        "document": EvidenceKind.POA,
    }
    front = next(e for e in snapshot.evidence if e.kind == EvidenceKind.FRONT)
    assert front.content == ALL_IMAGES["croppedFrontID"]
    assert front.filename == "croppedFrontID.png"

    # one image type per request, as the document advises
    image_bodies = [
        json.loads(r.content) for r in fake.requests if r.url.path.endswith("/omni/get/images")
    ]
    assert image_bodies == [{"images": [t]} for t in ALL_IMAGES]
    assert set(snapshot.raw) == {"onboarding_status", "score", "ocr_data", "antifraud"}
    assert "croppedFrontID" not in json.dumps(snapshot.raw)


def test_absent_images_are_skipped(mocked_adapter):
    adapter, _ = mocked_adapter("manual_review", images={"selfie": ALL_IMAGES["selfie"]})
    snapshot = adapter.fetch_snapshot("x")
    assert [e.kind for e in snapshot.evidence] == [EvidenceKind.SELFIE]


def test_in_progress_does_not_call_antifraud(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    fake.payloads["onboarding_status"] = {"onboardingStatus": "FACE_VALIDATION_FINISHED"}
    fake.payloads["score"] = {}
    snapshot = adapter.fetch_snapshot("x", with_evidence=False)
    assert snapshot.status == SessionStatus.IN_PROGRESS
    assert snapshot.provider_status == "FACE_VALIDATION_FINISHED"
    assert snapshot.antifraud is None
    assert snapshot.scores == {}
    assert snapshot.overall_score is None
    assert not any(r.url.path.endswith("/omni/process/antifraud") for r in fake.requests)


def test_the_sessions_own_404_propagates(connection):
    def not_found(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            404,
            json={"status": 404, "error": "Not Found", "message": "Session not found."},
        )

    client = IncodeClient.from_connection(connection, transport=httpx.MockTransport(not_found))
    with pytest.raises(ProviderNotFound) as raised:
        IncodeAdapter(connection, client=client).fetch_snapshot("nope")
    assert raised.value.message == "Session not found."
    assert raised.value.status_code == 404


@pytest.mark.parametrize(
    ("onboarding", "overall", "expected"),
    [
        ("UNKNOWN", "", SessionStatus.PENDING),
        ("ID_VALIDATION_FINISHED", "", SessionStatus.IN_PROGRESS),
        ("POST_PROCESSING_FINISHED", "", SessionStatus.IN_PROGRESS),
        ("FACE_VALIDATION_FINISHED", "", SessionStatus.IN_PROGRESS),
        ("ONBOARDING_FINISHED", "OK", SessionStatus.APPROVED),
        ("ONBOARDING_FINISHED", "FAIL", SessionStatus.REJECTED),
        ("ONBOARDING_FINISHED", "MANUAL", SessionStatus.NEEDS_REVIEW),
        ("ONBOARDING_FINISHED", "WARN", SessionStatus.NEEDS_REVIEW),
        ("ONBOARDING_FINISHED", "MANUAL_PENDING", SessionStatus.NEEDS_REVIEW),
        ("ONBOARDING_FINISHED", "UNKNOWN", SessionStatus.NEEDS_REVIEW),
        ("ONBOARDING_FINISHED", "", SessionStatus.NEEDS_REVIEW),
        ("ONBOARDING_FINISHED", "MANUAL_OK", SessionStatus.APPROVED),
        ("ONBOARDING_FINISHED", "MANUAL_FAIL", SessionStatus.REJECTED),
        ("MANUAL_REVIEW_APPROVED", "MANUAL_OK", SessionStatus.APPROVED),
        ("MANUAL_REVIEW_REJECTED", "MANUAL_FAIL", SessionStatus.REJECTED),
        ("SOMETHING_NEW", "", SessionStatus.IN_PROGRESS),
    ],
)
def test_status_mapping(onboarding, overall, expected):
    assert map_status(onboarding, overall) == expected


def test_decided_session_is_not_review_requested_and_tolerates_stray_space():
    score = load_payloads("manual_review")["score"]
    score["overall"]["status"] = " MANUAL_OK"  # as the document spells it once
    snapshot = normalize(
        "x",
        status_payload={"onboardingStatus": "MANUAL_REVIEW_APPROVED"},
        score=score,
        ocr={},
        antifraud={"result": "PASSED"},
    )
    assert snapshot.status == SessionStatus.APPROVED
    assert snapshot.provider_status == "MANUAL_REVIEW_APPROVED / MANUAL_OK"
    assert snapshot.review_requested is False
    assert snapshot.review_reason == ""
    assert checks_by_key(snapshot)["overall"].status == CheckStatus.OK


def test_malformed_payload_parts_are_ignored_not_fatal():
    snapshot = normalize(
        "x",
        status_payload={"onboardingStatus": "ONBOARDING_FINISHED"},
        score={
            "idValidation": {"photoSecurityAndQuality": "nope", "idSpecific": [1, {"key": ""}]},
            "liveness": {"overall": {"value": "n/a", "status": "OK"}},
            "overall": {"value": "250", "status": "OK"},
        },
        ocr={
            "name": "not an object",
            "birthDate": "soon",
            "ocrDataConfidence": {"nameConfidence": 7},
        },
        antifraud={},
    )
    assert snapshot.status == SessionStatus.APPROVED
    assert snapshot.overall_score == 100.0  # clamped
    assert "liveness" not in snapshot.scores
    assert snapshot.person.birth_date is None
    assert snapshot.person.confidences == {}
    assert snapshot.antifraud is None


# ---------------------------------------------------------------- write-back (mocked)


def test_poa_decisions_stay_local(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    result = adapter.write_decision(request("poa", "approve"))
    assert result.supported is False
    assert fake.requests == []


def test_status_reject_sends_reason_and_note_trimmed(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    result = adapter.write_decision(
        request("status", "reject", reason="fake_document", note="x" * 900)
    )
    assert result.supported and result.status_code == 200 and result.response == {"success": True}
    method, path, params, body = fake.writes[0]
    assert (method, path, params) == (
        "PUT",
        "/omni/manual-review",
        {"interviewId": request("status", "reject").external_id},
    )
    assert body["manualReviewStatus"] == "REJECTED"
    assert body["newReason"].startswith("fake_document: xxx")
    assert len(body["newReason"]) == 500
    assert fake.requests[0].headers["Idempotency-Key"] == "wb-0001"


def test_status_approve_without_reason_or_note_sends_no_new_reason(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    adapter.write_decision(request("status", "approve"))
    assert fake.writes[0][3] == {"manualReviewStatus": "APPROVED"}


def test_confirm_fraud_adds_the_person_to_the_blacklist(mocked_adapter):
    adapter, fake = mocked_adapter("antifraud_failed")
    adapter.write_decision(request("antifraud", "confirm_fraud", reason="duplicate_identity"))
    method, path, _, body = fake.writes[0]
    assert (method, path) == ("POST", "/omni/add/watchlist/single-record")
    assert body == {
        "watchlistType": "BLACKLIST",
        "name": "ANNA WEBER",
        "birthDate": "662342400000",
        "idNumber": "ZYW503007",
    }


def test_resolve_false_positive(mocked_adapter):
    adapter, fake = mocked_adapter("antifraud_failed")
    adapter.write_decision(
        request("antifraud", "resolve_false_positive", reason="different_person", note="twins")
    )
    method, path, params, body = fake.writes[0]
    assert (method, path, body) == ("PUT", "/omni/resolve/antifraud", None)
    assert params["reason"] == "different_person: twins"


def test_unknown_outcome_is_a_programming_error(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    with pytest.raises(ValueError, match="no Incode write-back"):
        adapter.write_decision(request("antifraud", "approve"))
    assert fake.writes == []
