"""The Flonk sandbox through Django's test client: auth, errors, reads, writes, log, faults."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json

import httpx
import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from providers.flonk.sandbox import services
from providers.flonk.sandbox.models import KycSession, Note, ReceivedCall, WebhookDelivery
from providers.flonk.sandbox.scenarios import SCENARIOS
from tests.providers.flonk.conftest import SECRET_KEY

BASE = "/sandbox/flonk"
ERROR_KEYS = {"statusCode", "code", "message", "error"}
DETAILS_KEYS = {
    "id",
    "status",
    "expiresAt",
    "clientMetadata",
    "widgetUrl",
    "qrCodeUrl",
    "createdAt",
    "projectId",
    "allowManualUpload",
    "embedToken",
    "reused",
    "testMode",
    "serverMetadata",
    "updatedAt",
}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["statusCode"] == status and body["code"] == code
    assert body["message"]
    assert response["Request-Id"].startswith("req_")
    return body


@pytest.fixture
def review(account):
    return services.create_session(account, "manual_review", seed=1, with_images=False)


@pytest.fixture
def api(client, api_headers):
    """api(method, path, body=None, headers=..., key=...) against the sandbox."""
    counter = iter(range(10**6))

    def call(method: str, path: str, body=None, *, headers=None, raw: bytes | None = None, key=...):
        sent = dict(api_headers if headers is None else headers)
        if method == "POST" and key is not None:
            sent.setdefault("Idempotency-Key", f"test-{next(counter)}" if key is ... else key)
        kwargs = {"headers": sent}
        if raw is not None or body is not None:
            kwargs["data"] = raw if raw is not None else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(client, method.lower())(f"{BASE}{path}", **kwargs)

    return call


@pytest.fixture
def sent_events(monkeypatch, account):
    """Capture the sandbox's outgoing webhooks instead of sending them."""
    services.account_configure_webhook(account, "http://kycdash.test/webhooks/x/", "s3cret")
    sent = []

    def fake_post(url, *, content, headers, timeout):
        sent.append({"url": url, "body": content, "headers": headers, "timeout": timeout})
        return httpx.Response(200, json={"received": True})

    monkeypatch.setattr(services.httpx, "post", fake_post)
    return sent


# ---------------------------------------------------------------- auth and errors


def test_no_authorization_is_401(api, review):
    response = api("GET", f"/v1/sessions/{review.id}", headers={"Flonk-Version": "1.9.1"})
    body = assert_error(response, 401, "authentication_error")
    assert "No API key" in body["message"]


@pytest.mark.parametrize(
    ("authorization", "fragment"),
    [
        ("Bearer sk_test_not_a_key", "Invalid API key"),
        (f"Basic {SECRET_KEY}", "Malformed"),
        ("Bearer", "Malformed"),
        ("Bearer pk_test_publishable", "Publishable keys"),
    ],
)
def test_bad_keys_are_401(api, review, authorization, fragment):
    headers = {"Authorization": authorization, "Flonk-Version": "1.9.1"}
    body = assert_error(
        api("GET", f"/v1/sessions/{review.id}", headers=headers), 401, "authentication_error"
    )
    assert fragment in body["message"]


def test_flonk_version_defaults_is_echoed_and_validated(api, review, api_headers):
    plain = api(
        "GET", f"/v1/sessions/{review.id}", headers={"Authorization": api_headers["Authorization"]}
    )
    assert plain.status_code == 200 and plain["Flonk-Version"] == "1.9.1"
    pinned = api(
        "GET", f"/v1/sessions/{review.id}", headers={**api_headers, "Flonk-Version": "1.8.2"}
    )
    assert pinned["Flonk-Version"] == "1.8.2"
    unknown = api(
        "GET", f"/v1/sessions/{review.id}", headers={**api_headers, "Flonk-Version": "2.0.0"}
    )
    body = assert_error(unknown, 400, "validation_error")
    assert "Flonk-Version" in body["message"][0]


def test_unknown_session_is_404(api, account):
    body = assert_error(api("GET", "/v1/sessions/cmnotthere"), 404, "session_not_found")
    assert body["error"] == "Not Found" and "cmnotthere" in body["message"]


def test_another_accounts_session_is_404(api, account):
    other = services.account_get_or_create("sk_test_someone_else")
    foreign = services.create_session(other, "clean", with_images=False)
    assert_error(api("GET", f"/v1/sessions/{foreign.id}"), 404, "session_not_found")


def test_unknown_paths_and_methods(api, review):
    assert_error(api("GET", "/v1/nothing/here"), 404, "not_found")
    body = assert_error(api("DELETE", f"/v1/sessions/{review.id}"), 405, "method_not_allowed")
    assert body["message"] == f"Cannot DELETE /v1/sessions/{review.id}"


# ---------------------------------------------------------------- reads


def test_session_details_have_the_documented_shape(api, review):
    response = api("GET", f"/v1/sessions/{review.id}")
    assert response.status_code == 200
    details = response.json()
    assert DETAILS_KEYS <= set(details) <= DETAILS_KEYS | {"lastActivity"}
    assert details["id"] == review.id and details["status"] == "completed"
    assert details["testMode"] is True
    assert details["widgetUrl"].endswith(f"sessionId={review.id}&mode=embedded")
    assert details["updatedAt"].endswith("Z") and details["projectId"].startswith("clxproject")
    assert response["Request-Id"].startswith("req_")


def test_live_keys_make_live_sessions(api, db):
    account = services.account_get_or_create("sk_live_the_real_thing")
    session = services.create_session(account, "clean", with_images=False)
    headers = {"Authorization": "Bearer sk_live_the_real_thing"}
    assert api("GET", f"/v1/sessions/{session.id}", headers=headers).json()["testMode"] is False
    assert session.verification["test_mode"] is False


def test_verification_read_and_its_409_before_there_is_one(api, account, review):
    verification = api("GET", f"/v1/sessions/{review.id}/verification").json()
    assert verification["id"] == review.id
    assert verification["status"] == "manual_review"
    assert 0.62 <= verification["confidence"] <= 0.74
    assert set(verification["extracted_data"]) >= {"full_name", "date_of_birth", "nationality"}

    waiting = services.create_session(account, "in_progress", with_images=False)
    response = api("GET", f"/v1/sessions/{waiting.id}/verification")
    assert_error(response, 409, "session_invalid_state")


def test_poa_read(api, account, review):
    assert api("GET", f"/v1/sessions/{review.id}/poa").json() == {
        "jobId": None,
        "status": "not_found",
        "message": "No proof of address was uploaded for this session.",
    }
    doubtful = services.create_session(account, "poa_review", seed=3, with_images=False)
    read = api("GET", f"/v1/sessions/{doubtful.id}/poa").json()
    assert read["status"] == "completed" and read["poaStatus"] == "manual_review"
    breakdown = read["confidenceBreakdown"]
    assert set(breakdown) == {"fieldScores", "totalWeight", "achievedWeight", "confidenceScore"}
    assert breakdown["confidenceScore"] == read["confidenceScore"]
    assert set(read["data"]) >= {"fullName", "address", "city", "postalCode", "issueDate"}


def test_images_are_listed_and_downloaded_as_decodable_jpegs(api, account):
    session = services.create_session(account, "poa_review", seed=3)
    listed = api("GET", f"/v1/sessions/{session.id}/images").json()["data"]
    types = [row["type"] for row in listed]
    passport = session.document_type == "passport"
    document = {"main"} if passport else {"front", "back"}
    assert set(types) == document | {"face", "poa"}
    for row in listed:
        response = api("GET", f"/v1/sessions/{session.id}/images/{row['type']}")
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert len(response.content) == row["size"]
        picture = Image.open(io.BytesIO(response.content))
        assert picture.format == "JPEG"
        picture.load()
    absent = "front" if passport else "main"
    assert_error(api("GET", f"/v1/sessions/{session.id}/images/{absent}"), 404, "image_not_found")
    assert_error(api("GET", f"/v1/sessions/{session.id}/images/x"), 400, "validation_error")


def test_listing_pages_by_cursor_in_update_order(api, account):
    now = timezone.now()
    made = [
        services.create_session(
            account, "clean", with_images=False, now=now - dt.timedelta(minutes=10 - i)
        )
        for i in range(5)
    ]
    first = api("GET", "/v1/sessions?limit=2").json()
    assert [r["id"] for r in first["data"]] == [made[0].id, made[1].id]
    assert first["hasMore"] is True and first["nextCursor"]
    second = api("GET", f"/v1/sessions?limit=2&cursor={first['nextCursor']}").json()
    assert [r["id"] for r in second["data"]] == [made[2].id, made[3].id]
    # a session updated during the walk is met again further on, not skipped
    services.session_update_status(made[0], "approved", reviewed_by="bob")
    third = api("GET", f"/v1/sessions?limit=2&cursor={second['nextCursor']}").json()
    assert [r["id"] for r in third["data"]] == [made[4].id, made[0].id]
    assert third["hasMore"] is False and third["nextCursor"] is None

    since = made[3].updated_at.isoformat().replace("+00:00", "Z")
    recent = api("GET", f"/v1/sessions?updatedSince={since}").json()
    assert [r["id"] for r in recent["data"]] == [made[3].id, made[4].id, made[0].id]


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=x", "updatedSince=soon", "cursor=%%%", "page=2"]
)
def test_listing_validates_its_parameters(api, account, query):
    assert_error(api("GET", f"/v1/sessions?{query}"), 400, "validation_error")


# ---------------------------------------------------------------- writes


def test_create_session_is_idempotent_by_key(api, account):
    body = {
        "documentType": "passport",
        "expiryMinutes": 30,
        "language": "de",
        "clientMetadata": {"userId": "u1"},
    }
    first = api("POST", "/v1/sessions", body, key="create-1")
    assert first.status_code == 201
    created = first.json()
    assert created["status"] == "pending" and created["testMode"] is True
    assert created["embedToken"] and "lastActivity" not in created
    again = api("POST", "/v1/sessions", body, key="create-1")
    assert again.status_code == 201 and again.json()["id"] == created["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert KycSession.objects.filter(scenario="api").count() == 1
    outcomes = [c.outcome for c in services.received_calls(session_id=created["id"])]
    assert outcomes == ["replay", "applied"]


@pytest.mark.parametrize(
    "body",
    [
        {"documentType": "selfie"},
        {"expiryMinutes": 61},
        {"expiryMinutes": True},
        {"language": "fr"},
        {"clientMetadata": "u1"},
        {"colour": "blue"},
    ],
)
def test_create_session_validates(api, account, body):
    body = assert_error(api("POST", "/v1/sessions", body), 400, "validation_error")
    assert isinstance(body["message"], list)
    assert not KycSession.objects.exists()


def test_a_post_without_an_idempotency_key_is_400_and_applies_nothing(api, review):
    response = api(
        "POST", f"/v1/sessions/{review.id}/verification/status", {"status": "approved"}, key=None
    )
    body = assert_error(response, 400, "validation_error")
    assert "Idempotency-Key" in body["message"][0]
    review.refresh_from_db()
    assert review.verification_status == "manual_review"
    (call,) = services.received_calls(session_id=review.id)
    assert call.outcome == ReceivedCall.Outcome.REJECTED


def test_status_change_applies_logs_and_sends_a_signed_event(api, review, sent_events):
    response = api(
        "POST",
        f"/v1/sessions/{review.id}/verification/status",
        {"status": "rejected", "reason": "document_unclear", "reviewedBy": "alice"},
        key="decision-1",
    )
    assert response.status_code == 200
    answered = response.json()
    assert answered["status"] == "rejected" and answered["previous_status"] == "manual_review"
    assert answered["rejection_reason"] == "document_unclear"
    assert answered["reviewed_by"] == "alice"
    review.refresh_from_db()
    assert review.verification == answered

    (call,) = services.received_calls(session_id=review.id)
    assert (call.method, call.path, call.outcome) == (
        "POST",
        f"/v1/sessions/{review.id}/verification/status",
        "applied",
    )
    assert call.headers["Authorization"] == "Bearer sk_test_…0001"  # never the whole key
    assert call.headers["Flonk-Version"] == "1.9.1"
    assert call.idempotency_key == "decision-1"

    (event,) = sent_events
    assert event["url"] == "http://kycdash.test/webhooks/x/" and event["timeout"] == 5.0
    payload = json.loads(event["body"])
    assert payload["type"] == "verification.status_changed"
    assert payload["livemode"] is False
    obj = payload["data"]["object"]
    assert (obj["id"], obj["previous_status"], obj["reviewed_by"]) == (
        review.id,
        "manual_review",
        "alice",
    )
    assert "updated_by" not in obj and "duplicate_verification" not in obj
    t, v1 = (part.split("=", 1)[1] for part in event["headers"]["X-Signature"].split(","))
    expected = hmac.new(b"s3cret", f"{t}.".encode() + event["body"], hashlib.sha256).hexdigest()
    assert v1 == expected
    legacy = hmac.new(b"s3cret", event["body"], hashlib.sha256).hexdigest()
    assert event["headers"]["X-Signature-256"] == f"sha256={legacy}"


def test_an_approval_clears_an_earlier_rejection_reason(api, review, sent_events):
    path = f"/v1/sessions/{review.id}/verification/status"
    api("POST", path, {"status": "rejected", "reason": "document_unclear"})
    api("POST", path, {"status": "approved"})
    review.refresh_from_db()
    assert review.verification["status"] == "approved"
    assert review.verification["previous_status"] == "rejected"
    assert "rejection_reason" not in review.verification
    assert review.verification["reviewed_by"] == "api"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"{not json", "Malformed JSON"),
        (b"[1, 2]", "JSON object"),
        (b"{}", "status should not be empty"),
        (json.dumps({"status": "APPROVED"}).encode(), "status must be one of"),
        (json.dumps({"status": "approved", "reason": 5}).encode(), "reason must be a string"),
        (json.dumps({"status": "approved", "note": "x"}).encode(), "property note should not"),
        (
            json.dumps({"status": "approved", "reviewedBy": "r" * 201}).encode(),
            "reviewedBy must be shorter",
        ),
    ],
)
def test_bad_status_changes_are_400_and_change_nothing(api, review, raw, fragment):
    response = api("POST", f"/v1/sessions/{review.id}/verification/status", raw=raw)
    body = assert_error(response, 400, "validation_error")
    assert fragment in "; ".join(body["message"])
    review.refresh_from_db()
    assert review.verification_status == "manual_review"


def test_status_change_needs_a_verification_and_a_live_session(api, account):
    waiting = services.create_session(account, "in_progress", with_images=False)
    response = api("POST", f"/v1/sessions/{waiting.id}/verification/status", {"status": "approved"})
    assert_error(response, 409, "session_invalid_state")
    gone = services.create_session(account, "expired", with_images=False)
    response = api("POST", f"/v1/sessions/{gone.id}/verification/status", {"status": "approved"})
    assert_error(response, 410, "session_expired")
    assert {c.outcome for c in services.received_calls()} == {"rejected"}


def test_poa_decision_applies_and_sends_verification_updated(api, account, sent_events):
    session = services.create_session(account, "poa_review", seed=4, with_images=False)
    response = api(
        "POST",
        f"/v1/sessions/{session.id}/poa/status",
        {"status": "approved", "reviewedBy": "alice"},
    )
    assert response.status_code == 200
    assert response.json()["poaStatus"] == "approved"
    session.refresh_from_db()
    assert session.poa_status == "approved"
    assert session.verification["poa_verification"]["status"] == "approved"
    assert session.verification["updated_by"] == "alice"
    (event,) = sent_events
    payload = json.loads(event["body"])
    assert payload["type"] == "verification.updated"
    assert payload["data"]["object"]["updated_by"] == "alice"
    assert "previous_status" not in payload["data"]["object"]


def test_poa_decision_needs_a_poa(api, review):
    response = api("POST", f"/v1/sessions/{review.id}/poa/status", {"status": "approved"})
    assert_error(response, 409, "session_invalid_state")


def test_notes(api, review):
    response = api(
        "POST",
        f"/v1/sessions/{review.id}/notes",
        {"content": "Checked by phone.", "author": "alice"},
    )
    assert response.status_code == 201
    note = response.json()
    assert note["id"].startswith("note_") and note["sessionId"] == review.id
    assert (note["content"], note["author"]) == ("Checked by phone.", "alice")
    assert Note.objects.get().content == "Checked by phone."
    for bad in ({}, {"content": "  "}, {"content": "x" * 5001}, {"content": "x", "author": 1}):
        assert_error(api("POST", f"/v1/sessions/{review.id}/notes", bad), 400, "validation_error")
    assert Note.objects.count() == 1


def test_an_idempotency_key_replays_and_is_refused_for_another_request(api, review, sent_events):
    path = f"/v1/sessions/{review.id}/verification/status"
    first = api("POST", path, {"status": "approved"}, key="k-1")
    second = api("POST", path, {"status": "approved"}, key="k-1")
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert len(sent_events) == 1
    other = api("POST", path, {"status": "rejected"}, key="k-1")
    assert_error(other, 422, "idempotency_error")
    review.refresh_from_db()
    assert review.verification_status == "approved"
    outcomes = [c.outcome for c in services.received_calls(session_id=review.id)]
    assert outcomes == ["rejected", "replay", "applied"]


def test_a_replay_does_not_run_the_change(api, review, monkeypatch):
    runs = []
    real = services.session_update_status

    def counting(*args, **kwargs):
        runs.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "session_update_status", counting)
    for _ in range(3):
        api(
            "POST",
            f"/v1/sessions/{review.id}/verification/status",
            {"status": "approved"},
            key="once",
        )
    assert runs == ["approved"]


def test_the_database_refuses_a_second_application_of_one_key(account):
    fields = {
        "account": account,
        "method": "POST",
        "path": "/v1/sessions",
        "idempotency_key": "k",
        "outcome": ReceivedCall.Outcome.APPLIED,
        "response_status": 200,
    }
    ReceivedCall.objects.create(**fields)
    ReceivedCall.objects.create(**{**fields, "outcome": ReceivedCall.Outcome.REPLAY})
    ReceivedCall.objects.create(**{**fields, "idempotency_key": ""})
    ReceivedCall.objects.create(**{**fields, "idempotency_key": ""})
    with pytest.raises(IntegrityError), transaction.atomic():
        ReceivedCall.objects.create(**fields)


def test_keys_are_per_account(api, account, review):
    other = services.account_get_or_create("sk_test_other_account")
    theirs = services.create_session(other, "manual_review", with_images=False)
    api("POST", f"/v1/sessions/{review.id}/verification/status", {"status": "approved"}, key="k1")
    headers = {"Authorization": "Bearer sk_test_other_account", "Idempotency-Key": "k1"}
    api(
        "POST",
        f"/v1/sessions/{theirs.id}/verification/status",
        {"status": "approved"},
        headers=headers,
    )
    theirs.refresh_from_db()
    assert theirs.verification_status == "approved"


# ---------------------------------------------------------------- faults


def test_fail_next_answers_503_api_error_then_recovers(api, review, account):
    services.account_set_faults(account, fail_next=2)
    for _ in range(2):
        assert_error(api("GET", f"/v1/sessions/{review.id}"), 503, "api_error")
    assert api("GET", f"/v1/sessions/{review.id}").status_code == 200
    account.refresh_from_db()
    assert (account.fault_next, account.faults_served) == (0, 2)


def test_rate_limit_faults_are_429_with_retry_after(api, review, account):
    services.account_set_faults(account, fail_next=1, status=429, retry_after=3)
    response = api("GET", f"/v1/sessions/{review.id}")
    assert_error(response, 429, "rate_limited")
    assert response["Retry-After"] == "3"


def test_down_until_cleared_and_faults_are_logged(api, review, account):
    services.account_set_faults(account, down=True)
    path = f"/v1/sessions/{review.id}/verification/status"
    for _ in range(3):
        assert_error(api("POST", path, {"status": "approved"}, key="k"), 503, "api_error")
    review.refresh_from_db()
    assert review.verification_status == "manual_review"
    assert {c.outcome for c in services.received_calls(session_id=review.id)} == {"fault"}
    services.account_clear_faults(account)
    assert api("POST", path, {"status": "approved"}, key="k").status_code == 200
    assert services.received_calls(session_id=review.id, outcome="applied").count() == 1


def test_delay_shows_in_server_timing(api, review, account):
    services.account_set_faults(account, delay_ms=60)
    response = api("GET", f"/v1/sessions/{review.id}")
    assert response.status_code == 200
    assert int(response["Server-Timing"].split("dur=")[1]) >= 60


def test_fault_settings_are_validated(account):
    for kwargs in ({"fail_next": -1}, {"delay_ms": 10**9}, {"status": 500}, {"retry_after": -1}):
        with pytest.raises(ValueError):
            services.account_set_faults(account, **kwargs)


# ---------------------------------------------------------------- scenarios and events


def test_every_scenario_builds(account):
    for scenario in SCENARIOS:
        session = services.create_session(account, scenario, seed=11, with_images=False)
        assert session.scenario == scenario
        assert len(session.id) == 25 and session.id.startswith("c")


def test_scenario_contents(account):
    clean = services.create_session(account, "clean", seed=1)
    assert clean.verification["status"] == "approved"
    assert clean.poa_status == "auto_approved" and clean.poa["confidenceScore"] >= 0.85
    assert {"face", "poa"} <= set(clean.images.values_list("image_type", flat=True))

    doubtful = services.create_session(account, "poa_review", seed=2, with_images=False)
    assert 0.5 <= doubtful.poa["confidenceScore"] < 0.85
    assert doubtful.poa_status == "manual_review"
    assert doubtful.verification["poa_verification"]["address_match"] is False

    twin = services.create_session(account, "duplicate", seed=3)
    duplicate = twin.verification["duplicate_verification"]
    assert duplicate["is_duplicate"] is True
    assert duplicate["previous_verification_id"] == doubtful.id  # the newest approved one
    assert twin.identity == doubtful.identity and twin.face_seed == doubtful.face_seed

    rejected = services.create_session(account, "rejected", seed=4, with_images=False)
    assert rejected.verification["rejection_reason"] and rejected.verification["confidence"] < 0.5

    reused = services.create_session(account, "reused", seed=5)
    assert reused.verification["reuse_source"]["mode"] == "full_reuse"
    assert list(reused.images.values_list("image_type", flat=True)) == ["face"]

    for status in ("in_progress", "pending", "expired"):
        session = services.create_session(account, status, seed=6, with_images=False)
        assert session.status == status and session.verification is None
    expired = KycSession.objects.get(scenario="expired")
    assert expired.expires_at < timezone.now()


def test_a_duplicate_in_an_empty_account_makes_its_original(account):
    twin = services.create_session(account, "duplicate", with_images=False)
    original = KycSession.objects.exclude(pk=twin.pk).get()
    assert original.scenario == "clean"
    assert twin.verification["duplicate_verification"]["previous_verification_id"] == original.id


def test_seed_makes_content_reproducible_but_ids_unique(account):
    at = timezone.now()
    a = services.create_session(account, "clean", seed=9, full_name="Ada Lovelace", now=at)
    b = services.create_session(account, "clean", seed=9, full_name="Ada Lovelace", now=at)
    assert a.id != b.id
    assert a.verification["extracted_data"] == b.verification["extracted_data"]
    assert a.verification["extracted_data"]["full_name"] == "Ada Lovelace"
    assert bytes(a.images.get(image_type="face").content) == bytes(
        b.images.get(image_type="face").content
    )


def test_unknown_scenario_and_bad_keys_are_refused(account):
    with pytest.raises(ValueError, match="unknown scenario"):
        services.create_session(account, "nope")
    with pytest.raises(ValueError):
        services.account_get_or_create("pk_test_publishable")


@pytest.mark.parametrize(
    ("scheme", "headers"),
    [
        ("both", {"X-Signature", "X-Signature-256"}),
        ("timestamp", {"X-Signature"}),
        ("legacy", {"X-Signature-256"}),
    ],
)
def test_signature_schemes(account, review, sent_events, scheme, headers):
    services.account_configure_webhook(account, "http://kycdash.test/h", "s", scheme=scheme)
    delivery = services.send_event(review, "verification.completed")
    assert set(sent_events[0]["headers"]) == {"Content-Type", "User-Agent"} | headers
    assert set(delivery.signature_headers) == headers


def test_completed_events_carry_the_duplicate(account, sent_events):
    services.create_session(account, "clean", with_images=False)
    twin = services.create_session(account, "duplicate", with_images=False)
    delivery = services.send_event(twin, "verification.completed")
    obj = delivery.payload["data"]["object"]
    assert obj["duplicate_verification"]["is_duplicate"] is True
    assert delivery.payload["id"].startswith("evt_") and delivery.delivered


def test_event_failures_are_recorded_not_raised(account, review, monkeypatch):
    def boom(*args, **kwargs):
        raise httpx.ConnectError("refused")

    monkeypatch.setattr(services.httpx, "post", boom)
    services.account_configure_webhook(account, "http://127.0.0.1:9/hook", "s")
    delivery = services.send_event(review, "verification.completed")
    assert delivery.pk and delivery.response_status is None and "ConnectError" in delivery.error
    services.account_configure_webhook(account, "", "")
    assert (
        services.send_event(review, "verification.completed").error == "no webhook URL configured"
    )
    waiting = services.create_session(account, "pending", with_images=False)
    with pytest.raises(ValueError):
        services.send_event(waiting, "verification.completed")


# ---------------------------------------------------------------- control and page


def post_json(client, path: str, body: dict):
    return client.post(f"{BASE}/_control/{path}", json.dumps(body), content_type="application/json")


def test_control_endpoints(client, sent_events):
    created = post_json(client, "accounts", {"secret_key": "sk_test_ctl_000001", "name": "Ctl"})
    assert created.status_code == 200
    assert created.json()["secret_key"] == "sk_test_…0001" and created.json()["test_mode"]
    key = {"secret_key": "sk_test_ctl_000001"}
    hooked = post_json(
        client,
        "webhook",
        {**key, "url": "http://kycdash.test/h", "secret": "s", "scheme": "timestamp"},
    )
    assert hooked.json()["signature_scheme"] == "timestamp"
    faults = post_json(client, "faults", {**key, "fail_next": 3, "status": 429, "delay_ms": 5})
    assert faults.json()["faults"]["fail_next"] == 3 and faults.json()["faults"]["status"] == 429
    cleared = post_json(client, "faults", {**key, "clear": True})
    assert cleared.json()["faults"] == {
        "fail_next": 0,
        "down": False,
        "delay_ms": 0,
        "status": 503,
        "retry_after": None,
        "served": 0,
    }
    made = post_json(client, "sessions", {**key, "scenario": "clean", "seed": 1, "notify": True})
    made = made.json()
    assert made["status"] == "completed" and made["verification_status"] == "approved"
    assert made["delivery"]["response_status"] == 200
    again = post_json(
        client, f"sessions/{made['session_id']}/events", {"type": "verification.updated"}
    )
    assert again.json()["event_type"] == "verification.updated"
    assert len(sent_events) == 2
    deliveries = client.get(f"{BASE}/_control/deliveries?session_id={made['session_id']}").json()
    assert deliveries["count"] == 2

    assert post_json(client, "sessions", {**key, "scenario": "x"}).status_code == 400
    assert post_json(client, "faults", {"secret_key": "sk_test_unknown"}).status_code == 404
    assert post_json(client, "faults", {**key, "fail_next": "3"}).status_code == 400
    assert post_json(client, "faults", {**key, "fail_next": True}).status_code == 400
    assert (
        client.post(f"{BASE}/_control/faults", "{", content_type="application/json").status_code
        == 400
    )
    assert client.get(f"{BASE}/_control/faults").status_code == 405


def test_received_log_as_json_filtered_by_session(client, api, account):
    one = services.create_session(account, "manual_review", with_images=False)
    two = services.create_session(account, "manual_review", with_images=False)
    api("POST", f"/v1/sessions/{one.id}/verification/status", {"status": "approved"}, key="abc")
    api("POST", f"/v1/sessions/{two.id}/notes", {"content": "hello"})
    log = client.get(f"{BASE}/_control/received?session_id={one.id}").json()
    (entry,) = log["calls"]
    assert (entry["method"], entry["path"], entry["outcome"]) == (
        "POST",
        f"/v1/sessions/{one.id}/verification/status",
        "applied",
    )
    assert entry["idempotency_key"] == "abc" and entry["body"] == {"status": "approved"}
    everything = client.get(f"{BASE}/_control/received?secret_key={SECRET_KEY}").json()
    assert everything["count"] == 2 and everything["calls"][0]["session_id"] == two.id


def test_control_is_off_when_sandboxes_are_disabled(client, settings, account):
    settings.SANDBOXES_ENABLED = False
    assert client.get(f"{BASE}/_control/received").status_code == 404
    assert post_json(client, "faults", {"secret_key": SECRET_KEY}).status_code == 404
    assert client.get(f"{BASE}/").status_code == 404


def test_the_page_shows_accounts_sessions_calls_notes_and_events(client, api, account, sent_events):
    session = services.create_session(account, "poa_review", seed=2)
    api("POST", f"/v1/sessions/{session.id}/poa/status", {"status": "rejected", "reason": "old"})
    api("POST", f"/v1/sessions/{session.id}/notes", {"content": "Bill older than 3 months"})
    response = client.get(f"{BASE}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Test bank" in html and session.id in html
    assert f"/v1/sessions/{session.id}/poa/status" in html
    assert "Bill older than 3 months" in html and "verification.updated" in html
    assert "flonk_sandbox/sandbox.css" in html
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert SECRET_KEY not in html  # masked
    image = client.get(f"{BASE}/images/{session.id}/poa")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert WebhookDelivery.objects.count() == 1
