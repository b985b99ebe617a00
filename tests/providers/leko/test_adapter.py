"""LekoAdapter normalization and write-back, with HTTP mocked at the client boundary.

The fake LE-KO validates every request and answer against the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from providers.base import (
    Capability,
    CheckStatus,
    EvidenceKind,
    ProviderAuthError,
    ProviderNotFound,
    ProviderRejected,
    ProviderUnavailable,
    SessionStatus,
    WriteBackRequest,
)
from providers.leko.adapter import (
    LekoAdapter,
    admin_approval_for,
    map_status,
    normalize,
    rejection_reason,
)
from providers.leko.client import LekoClient
from providers.leko.contract import REJECTION_REASONS
from providers.registry import adapter_for
from reviews.models import REASON_CODES
from tests.providers.leko.conftest import errors, load_payload, tiny_jpeg

REVIEW_ID = "3f1c2a9e-5b7d-4c1e-9a2f-0d4e6b8c1a02"


def checks_by_key(snapshot):
    return {check.key: check for check in snapshot.checks}


def request(outcome: str, *, queue: str = "status", reason: str = "", note: str = ""):
    return WriteBackRequest(
        external_id=REVIEW_ID,
        queue=queue,
        outcome=outcome,
        reason=reason,
        note=note,
        reviewer="alice",
        idempotency_key="wb-0001",
    )


# ---------------------------------------------------------------- the adapter class


def test_registered_under_leko(connection):
    adapter = adapter_for(connection)
    assert isinstance(adapter, LekoAdapter)
    assert adapter.label == "LE-KO KYC"
    assert adapter.credential_fields == ("token", "user_id")
    assert "token" in adapter.sensitive_parameters
    assert adapter.capabilities == {Capability.SYNC, Capability.EVIDENCE, Capability.WRITE_STATUS}
    assert Capability.WEBHOOK not in adapter.capabilities
    assert adapter.supports_write_back("status")
    assert not adapter.supports_write_back("antifraud")
    assert not adapter.supports_write_back("poa")
    assert adapter.session_event_types == frozenset()


# ---------------------------------------------------------------- status mapping


@pytest.mark.parametrize(
    ("status", "step", "failure", "expected"),
    [
        ("pending", "initialize", "", SessionStatus.PENDING),
        ("pending", "", "", SessionStatus.PENDING),
        ("pending", "avatar_verification", "avatar_not_human", SessionStatus.IN_PROGRESS),
        ("pending", "passport_verification", "", SessionStatus.IN_PROGRESS),
        ("avatar_verified", "passport_verification", "", SessionStatus.IN_PROGRESS),
        ("passport_verified", "image_matching", "", SessionStatus.IN_PROGRESS),
        ("admin_review_required", "admin_review", "admin_review_required", "needs_review"),
        ("approved", "completed", "", SessionStatus.APPROVED),
        ("rejected", "completed", "images_no_match", SessionStatus.REJECTED),
        ("rejected", "image_matching", "system_error", SessionStatus.FAILED),
        ("on_hold", "admin_review", "", SessionStatus.IN_PROGRESS),
    ],
)
def test_status_mapping_table(status, step, failure, expected):
    assert map_status(status, step, failure) == expected


@pytest.mark.parametrize(
    ("fixture", "status", "provider_status"),
    [
        ("clean", SessionStatus.APPROVED, "approved / completed"),
        ("admin_review", SessionStatus.NEEDS_REVIEW, "admin_review_required / admin_review"),
        ("rejected", SessionStatus.REJECTED, "rejected / completed"),
        ("avatar_not_human", SessionStatus.IN_PROGRESS, "pending / avatar_verification"),
        ("pending", SessionStatus.PENDING, "pending / initialize"),
        ("avatar_verified", SessionStatus.IN_PROGRESS, "avatar_verified / passport_verification"),
        ("passport_verified", SessionStatus.IN_PROGRESS, "passport_verified / image_matching"),
        ("system_error", SessionStatus.FAILED, "rejected / image_matching"),
        ("approved_by_admin", SessionStatus.REJECTED, "rejected / completed"),
    ],
)
def test_every_stored_payload_normalizes(fixture, status, provider_status):
    payload = load_payload(fixture)
    snapshot = normalize(payload)
    assert snapshot.external_id == payload["id"]
    assert (snapshot.status, snapshot.provider_status) == (status, provider_status)
    assert snapshot.review_requested is (payload["status"] == "admin_review_required")
    assert snapshot.overall_score is None
    assert snapshot.antifraud is None and snapshot.poa is None and not snapshot.watchlist_hit
    assert snapshot.raw == {"verification": payload}


# ---------------------------------------------------------------- one payload in detail


def test_admin_review_asks_for_a_human_with_the_failure_details():
    snapshot = normalize(load_payload("admin_review"))

    assert snapshot.review_requested is True
    assert snapshot.review_reason == (
        "Match score 0.72 is below threshold 0.80; an administrator must decide"
    )
    checks = checks_by_key(snapshot)
    assert checks["avatar.isHuman"].status == CheckStatus.OK
    assert checks["avatar.isHuman"].value == "0.94"
    assert checks["passport.ocrSuccess"].status == CheckStatus.OK
    assert checks["passport.ocrSuccess"].value == "0.74"
    match = checks["imageMatch.isMatched"]
    assert (match.status, match.value, match.provider_wording) == (
        CheckStatus.FAIL,
        "0.72",
        "isMatched=false",
    )
    failure = checks["failureReason"]
    assert (failure.status, failure.value, failure.label) == (
        CheckStatus.MANUAL,
        "admin_review_required",
        "Failure at image matching",
    )
    assert "below threshold" in failure.provider_wording
    assert snapshot.scores == {"face_match": 72.4, "ocr_confidence": 73.9, "avatar": 94.5}


def test_person_comes_from_the_passport_ocr_with_its_confidence():
    person = normalize(load_payload("rejected")).person

    assert person.full_name == "Carmen Jose Sanchez"
    assert (person.first_name, person.last_name) == ("Carmen", "Sanchez")
    assert person.birth_date == dt.date(1995, 8, 9)
    assert person.document_number == "ZY8199276"
    assert person.document_type == "passport"
    assert set(person.confidences) == {
        "full_name",
        "first_name",
        "last_name",
        "birth_date",
        "document_number",
    }
    assert set(person.confidences.values()) == {0.907}


def test_no_passport_read_yet_means_no_person():
    snapshot = normalize(load_payload("avatar_verified"))
    assert snapshot.person.full_name == ""
    assert snapshot.person.document_type == ""
    assert set(checks_by_key(snapshot)) == {"avatar.isHuman"}


def test_avatar_without_a_face_is_a_failed_check_with_leko_wording():
    checks = checks_by_key(normalize(load_payload("avatar_not_human")))
    avatar = checks["avatar.isHuman"]
    assert avatar.status == CheckStatus.FAIL
    assert avatar.provider_wording == (
        "isHuman=false: No human face was detected in the avatar image"
    )
    failure = checks["failureReason"]
    assert failure.status == CheckStatus.FAIL
    assert failure.value == "avatar_not_human"
    assert failure.provider_wording.endswith("retryable")


def test_the_documents_own_example_normalizes():
    """The OpenAPI example carries undeclared confidence and matchScore: both are read."""
    snapshot = normalize(load_payload("documented_example"))
    assert snapshot.status == SessionStatus.IN_PROGRESS
    assert snapshot.scores == {"face_match": 87.0, "avatar": 95.0}
    assert snapshot.person.full_name == "John James Doe"
    assert snapshot.person.confidences == {}  # no passport confidence in the example
    assert snapshot.started_at == dt.datetime(2024, 1, 15, 10, 0, tzinfo=dt.UTC)
    assert snapshot.updated_at == dt.datetime(2024, 1, 15, 10, 40, tzinfo=dt.UTC)


def test_an_admin_decision_shows_as_a_check():
    checks = checks_by_key(normalize(load_payload("approved_by_admin")))
    decision = checks["adminApproval"]
    assert (decision.status, decision.value, decision.provider_wording) == (
        CheckStatus.FAIL,
        "identity_mismatch",
        "approved=false by alice",
    )


def test_offsets_and_naive_timestamps_are_read():
    payload = load_payload("system_error")
    snapshot = normalize(payload)
    assert snapshot.updated_at == dt.datetime(2025, 3, 14, 11, 1, 12, tzinfo=dt.UTC)
    payload["updatedAt"] = "2025-03-14T11:01:12"
    assert normalize(payload).updated_at == dt.datetime(2025, 3, 14, 11, 1, 12, tzinfo=dt.UTC)
    payload["updatedAt"] = "yesterday"
    assert normalize(payload).updated_at is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: p.update(passportVerification="not an object"),
        lambda p: p["passportVerification"].update(confidence=7),
        lambda p: p["imageMatchResult"].update(matchScore="high", isMatched="yes"),
        lambda p: p["failureReason"].update(reason=None),
        lambda p: p.pop("currentStep"),
    ],
)
def test_odd_payloads_do_not_break_normalization(mangle):
    payload = load_payload("admin_review")
    mangle(payload)
    snapshot = normalize(payload)
    assert snapshot.status == SessionStatus.NEEDS_REVIEW
    assert all(0 <= score <= 100 for score in snapshot.scores.values())


# ---------------------------------------------------------------- fetching


def test_fetch_snapshot_reads_the_verification_and_both_images(mocked_adapter):
    payload = load_payload("admin_review")
    avatar_key = payload["avatarVerification"]["fileKey"]
    passport_key = payload["passportVerification"]["fileKey"]
    adapter, fake = mocked_adapter(
        "admin_review",
        files={avatar_key: tiny_jpeg((1, 2, 3)), passport_key: tiny_jpeg((4, 5, 6))},
    )

    snapshot = adapter.fetch_snapshot(REVIEW_ID)

    assert snapshot.external_id == REVIEW_ID
    assert snapshot.test_mode is False
    assert [(e.kind, e.external_ref, e.filename) for e in snapshot.evidence] == [
        (EvidenceKind.SELFIE, avatar_key, "avatar.jpg"),
        (EvidenceKind.FRONT, passport_key, "passport.jpg"),
    ]
    assert [r.url.raw_path.decode() for r in fake.requests] == [
        f"/v1/verifications/{REVIEW_ID}",
        "/v1/files/avatars%2F7c0de000-0000-4000-8000-000000000001%2Fadmin_review-avatar.jpg",
        "/v1/files/passports%2F7c0de000-0000-4000-8000-000000000001%2Fadmin_review-passport.jpg",
    ]


def test_without_evidence_only_the_verification_is_read(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    snapshot = adapter.fetch_snapshot("3f1c2a9e-5b7d-4c1e-9a2f-0d4e6b8c1a01", with_evidence=False)
    assert snapshot.evidence == ()
    assert len(fake.requests) == 1


def test_an_image_gone_at_leko_is_skipped_not_fatal(mocked_adapter, caplog):
    payload = load_payload("clean")
    avatar_key = payload["avatarVerification"]["fileKey"]
    adapter, _ = mocked_adapter("clean", files={avatar_key: tiny_jpeg()})

    snapshot = adapter.fetch_snapshot(payload["id"])

    assert [e.kind for e in snapshot.evidence] == [EvidenceKind.SELFIE]
    assert "passport image is gone" in caplog.text
    assert payload["passportVerification"]["fileKey"] not in caplog.text


def test_an_image_over_the_size_limit_is_skipped(mocked_adapter, settings):
    settings.EVIDENCE_MAX_BYTES = 2000
    payload = load_payload("clean")
    files = {
        payload["avatarVerification"]["fileKey"]: b"\xff\xd8\xff" + b"x" * 2000,
        payload["passportVerification"]["fileKey"]: tiny_jpeg(),
    }
    adapter, _ = mocked_adapter("clean", files=files)
    snapshot = adapter.fetch_snapshot(payload["id"])
    assert [e.kind for e in snapshot.evidence] == [EvidenceKind.FRONT]


def test_an_unknown_verification_is_not_found_with_lekos_message(mocked_adapter):
    adapter, _ = mocked_adapter()
    with pytest.raises(ProviderNotFound) as raised:
        adapter.fetch_snapshot("3f1c2a9e-5b7d-4c1e-9a2f-0d4e6b8c1aff")
    assert raised.value.status_code == 404
    assert raised.value.message == "Verification 3f1c2a9e-5b7d-4c1e-9a2f-0d4e6b8c1aff not found."


def test_sandbox_base_urls_mark_sessions_as_test_data(connection, mocked_adapter):
    connection.base_url = "http://localhost:8000/sandbox/leko"
    adapter, _ = mocked_adapter("clean")
    adapter.connection = connection
    assert adapter._test_mode is True


def test_test_connection_reads_one_row(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    adapter.test_connection()
    (sent,) = fake.requests
    assert sent.url.path == "/v1/verifications"
    assert dict(sent.url.params) == {"number": "0", "limit": "1"}


# ---------------------------------------------------------------- sync


def _rows(count: int, start: dt.datetime) -> list[dict]:
    base = load_payload("pending")
    rows = []
    for i in range(count):
        row = dict(base, id=f"3f1c2a9e-5b7d-4c1e-9a2f-{i:012d}")
        row["updatedAt"] = (start + dt.timedelta(minutes=10 * i)).isoformat().replace("+00:00", "Z")
        rows.append(row)
    return rows


def test_iter_session_ids_walks_every_page_following_total(mocked_adapter):
    adapter, fake = mocked_adapter()
    rows = _rows(5, dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    fake.verifications = {row["id"]: row for row in rows}
    adapter.list_page_size = 2

    assert list(adapter.iter_session_ids()) == [row["id"] for row in rows]
    assert [dict(r.url.params) for r in fake.requests] == [
        {"number": "0", "limit": "2"},
        {"number": "1", "limit": "2"},
        {"number": "2", "limit": "2"},
    ]


def test_iter_session_ids_keeps_what_changed_since_with_an_overlap(mocked_adapter):
    adapter, fake = mocked_adapter()
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    rows = _rows(5, start)  # updated at +0, +10, +20, +30, +40 minutes
    fake.verifications = {row["id"]: row for row in rows}

    since = start + dt.timedelta(minutes=31)  # the 2-minute overlap reaches back to +29
    assert list(adapter.iter_session_ids(since=since)) == [rows[3]["id"], rows[4]["id"]]
    assert list(adapter.iter_session_ids(since=start + dt.timedelta(minutes=42))) == [rows[4]["id"]]


def paged_adapter(connection, pages: list[list[dict]], total: int) -> LekoAdapter:
    """An adapter over a listing answered page by page as given (outside the contract)."""

    def handler(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["number"])
        rows = pages[number]
        return httpx.Response(
            200,
            json={"data": rows, "count": len(rows), "page": number, "limit": 2, "total": total},
        )

    client = LekoClient.from_connection(connection, transport=httpx.MockTransport(handler))
    adapter = LekoAdapter(connection, client=client)
    adapter.list_page_size = 2
    return adapter


def test_iter_session_ids_keeps_rows_without_a_readable_updated_at(connection):
    rows = _rows(2, dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    rows[0]["updatedAt"] = "not a date"  # breaks the contract: kept, re-reading is harmless
    adapter = paged_adapter(connection, [rows], total=2)
    since = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    assert list(adapter.iter_session_ids(since=since)) == [rows[0]["id"]]


def test_iter_session_ids_yields_a_row_seen_twice_once(connection):
    rows = _rows(3, dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    pages = [[rows[0], rows[1]], [rows[1], rows[2]]]  # a row moved while the walk ran
    adapter = paged_adapter(connection, pages, total=4)
    assert list(adapter.iter_session_ids()) == [row["id"] for row in rows]


# ---------------------------------------------------------------- write-back mapping


@pytest.mark.parametrize("code", REJECTION_REASONS)
def test_leko_reasons_go_as_they_are(code):
    assert rejection_reason(code) == code
    body = admin_approval_for(request("reject", reason=code, note="checked twice"))
    assert body == {
        "approved": False,
        "reason": code,
        "notes": "checked twice",
        "reviewerId": "alice",
    }


def test_every_status_reason_code_of_kycdash_is_handled():
    """kycdash's own status codes: the five of LE-KO's enum map directly, the rest not."""
    codes = {code for code, _ in REASON_CODES["status"]}
    assert set(REJECTION_REASONS) <= codes
    for code in codes - set(REJECTION_REASONS):
        assert rejection_reason(code) is None, code


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("unreadable", "document_unclear"),
        ("tampered_document", "fake_document"),
        ("different_person", "identity_mismatch"),
        ("name_mismatch", "identity_mismatch"),
    ],
)
def test_other_codes_go_as_the_closest_value(code, expected):
    body = admin_approval_for(request("reject", reason=code))
    assert body["reason"] == expected
    assert "notes" not in body


def test_a_code_without_a_close_value_is_omitted_and_kept_in_the_notes():
    body = admin_approval_for(request("reject", reason="verified", note="odd choice"))
    assert body == {"approved": False, "notes": "verified: odd choice", "reviewerId": "alice"}
    body = admin_approval_for(request("reject", reason="sanctions_list"))
    assert body == {"approved": False, "notes": "sanctions_list", "reviewerId": "alice"}


def test_approval_sends_no_reason_and_empty_notes_are_left_out():
    body = admin_approval_for(request("approve", reason="verified"))
    assert body == {"approved": True, "reviewerId": "alice"}


def test_notes_are_cut_to_the_documents_500_characters():
    body = admin_approval_for(request("reject", reason="document_unclear", note="n" * 900))
    assert len(body["notes"]) == 500
    assert body["notes"].endswith("…")
    body = admin_approval_for(request("reject", reason="x" * 40, note="n" * 900))
    assert len(body["notes"]) == 500 and body["notes"].startswith("x" * 40 + ": ")


@pytest.mark.parametrize(
    ("queue", "outcome"), [("status", "confirm_fraud"), ("antifraud", "approve")]
)
def test_an_outcome_outside_the_status_queue_mapping_is_a_callers_bug(queue, outcome):
    with pytest.raises(ValueError, match="no LE-KO write-back"):
        admin_approval_for(request(outcome, queue=queue))


def test_write_decision_puts_the_admin_approval(mocked_adapter):
    adapter, fake = mocked_adapter("admin_review")

    result = adapter.write_decision(
        request("reject", reason="identity_mismatch", note="not the same face")
    )

    assert result.supported and result.status_code == 200
    assert result.response["status"] == "rejected"
    (sent,) = [r for r in fake.requests if r.method == "PUT"]
    assert sent.url.path == f"/v1/verifications/{REVIEW_ID}/admin"
    assert fake.admin_bodies == [
        {
            "approved": False,
            "reason": "identity_mismatch",
            "notes": "not the same face",
            "reviewerId": "alice",
        }
    ]


@pytest.mark.parametrize(
    ("queue", "outcome"), [("antifraud", "resolve_false_positive"), ("poa", "approve")]
)
def test_queues_without_an_endpoint_are_not_supported_and_send_nothing(
    mocked_adapter, queue, outcome
):
    adapter, fake = mocked_adapter("admin_review")
    result = adapter.write_decision(request(outcome, queue=queue))
    assert result.supported is False
    assert fake.requests == []


def test_a_409_is_the_provider_refusing_with_its_message(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    clean_id = "3f1c2a9e-5b7d-4c1e-9a2f-0d4e6b8c1a01"

    with pytest.raises(ProviderRejected) as raised:
        adapter.write_decision(
            WriteBackRequest(
                external_id=clean_id,
                queue="status",
                outcome="approve",
                reason="",
                note="",
                reviewer="alice",
                idempotency_key="k",
            )
        )

    assert raised.value.status_code == 409
    assert raised.value.retryable is False
    assert raised.value.message == (
        "Verification must be in admin_review_required status; it is approved."
    )
    assert [r.method for r in fake.requests] == ["PUT", "GET"]  # refused, then re-read


def test_a_409_for_a_decision_already_applied_counts_as_delivered(mocked_adapter):
    """The first answer was lost (timeout after LE-KO applied it): the retry's 409 is ours."""
    adapter, fake = mocked_adapter("admin_review")
    decision = request("approve", note="looks fine")
    adapter.write_decision(decision)

    again = adapter.write_decision(decision)

    assert again.supported and again.status_code == 409
    assert again.response["alreadyApplied"] is True
    assert again.response["status"] == "approved"
    assert [r.method for r in fake.requests] == ["PUT", "PUT", "GET"]


def test_a_409_after_a_different_decision_is_refused(mocked_adapter):
    adapter, _ = mocked_adapter("admin_review")
    adapter.write_decision(request("approve", note="looks fine"))
    with pytest.raises(ProviderRejected):
        adapter.write_decision(request("reject", reason="fake_document"))


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (errors(400, "validation", "reason must be one of …"), ProviderRejected),
        (errors(403, "forbidden", "The admin role is required."), ProviderAuthError),
        (errors(503, "unexpected", "Service temporarily unavailable."), ProviderUnavailable),
    ],
)
def test_other_errors_propagate_typed(mocked_adapter, answer, error):
    adapter, fake = mocked_adapter("admin_review")
    fake.admin_answers = [answer] * 10
    with pytest.raises(error) as raised:
        adapter.write_decision(request("approve"))
    assert raised.value.status_code == answer.status_code
    assert raised.value.message == answer.json()["errors"][0]["message"]
