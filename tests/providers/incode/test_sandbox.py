"""The Incode sandbox through Django's test client: auth, errors, state, log, faults."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json

import httpx
import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from providers.incode.sandbox import services
from providers.incode.sandbox.models import Interview, ReceivedCall, WatchlistRecord
from providers.incode.sandbox.scenarios import SCENARIOS

BASE = "/sandbox/incode"
ERROR_KEYS = {"timestamp", "status", "error", "message", "path"}


def assert_error(response, status: int, reason: str, path: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["status"] == status
    assert body["error"] == reason
    assert body["path"] == path
    assert isinstance(body["timestamp"], int) and body["timestamp"] > 1_600_000_000_000
    assert body["message"]
    assert "Processing-Time" in response
    return body


@pytest.fixture
def interview(account):
    return services.create_interview(account, "manual_review", seed=1)


@pytest.fixture
def api(client, omni_headers):
    """api(method, path, body=None, headers=...) against the sandbox."""

    def call(method: str, path: str, body=None, *, headers=None, raw: bytes | None = None):
        sent = omni_headers if headers is None else headers
        kwargs = {"headers": sent}
        if raw is not None or body is not None:
            kwargs["data"] = raw if raw is not None else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(client, method.lower())(f"{BASE}{path}", **kwargs)

    return call


@pytest.fixture
def sent_notifications(monkeypatch, account):
    """Capture the sandbox's outgoing notifications instead of sending them."""
    services.account_configure_webhook(account, "http://kycdash.test/webhooks/x/", "s3cret")
    sent = []

    def fake_post(url, *, json, headers, timeout):
        sent.append({"url": url, "json": json, "headers": headers, "timeout": timeout})
        return httpx.Response(200, json={"ok": True})

    monkeypatch.setattr(services.httpx, "post", fake_post)
    return sent


# ---------------------------------------------------------------- auth and errors


@pytest.mark.parametrize("version", [None, "2.0", ""])
def test_wrong_api_version_is_400(api, interview, omni_headers, version):
    headers = {k: v for k, v in omni_headers.items() if k != "api-version"}
    if version is not None:
        headers["api-version"] = version
    response = api("GET", f"/omni/get/score?id={interview.id}", headers=headers)
    body = assert_error(response, 400, "Bad Request", "/omni/get/score")
    assert "api-version" in body["message"]


@pytest.mark.parametrize("api_key", [None, "", "not-a-key"])
def test_missing_or_invalid_api_key_is_403(api, interview, omni_headers, api_key):
    headers = {k: v for k, v in omni_headers.items() if k != "x-api-key"}
    if api_key is not None:
        headers["x-api-key"] = api_key
    response = api("GET", f"/omni/get/onboarding/status?id={interview.id}", headers=headers)
    body = assert_error(response, 403, "Forbidden", "/omni/get/onboarding/status")
    assert body["message"] == "Invalid or missing api key."


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_missing_or_invalid_hardware_id_is_401(api, interview, omni_headers, token):
    headers = {k: v for k, v in omni_headers.items() if k != "X-Incode-Hardware-Id"}
    if token is not None:
        headers["X-Incode-Hardware-Id"] = token
    response = api("GET", f"/omni/get/ocr-data?id={interview.id}", headers=headers)
    body = assert_error(response, 401, "Unauthorized", "/omni/get/ocr-data")
    assert body["message"] == "Invalid or missing access token."


def test_unknown_interview_is_404(api, account):
    response = api("GET", "/omni/get/score?id=000000000000000000000000")
    assert_error(response, 404, "Not Found", "/omni/get/score")


def test_another_accounts_interview_is_404(api, account):
    other = services.account_get_or_create("other-key", "other-token")
    foreign = services.create_interview(other, "clean", with_images=False)
    response = api("GET", f"/omni/get/onboarding/status?id={foreign.id}")
    assert_error(response, 404, "Not Found", "/omni/get/onboarding/status")


def test_missing_id_parameter_is_400(api, account):
    assert_error(api("GET", "/omni/get/score"), 400, "Bad Request", "/omni/get/score")


def test_unknown_omni_path_is_404_with_the_error_body(api, account):
    assert_error(api("GET", "/omni/get/nothing"), 404, "Not Found", "/omni/get/nothing")


def test_wrong_method_is_405(api, interview):
    response = api("POST", f"/omni/get/score?id={interview.id}", {})
    assert_error(response, 405, "Method Not Allowed", "/omni/get/score")


# ---------------------------------------------------------------- reads


def test_reads_return_the_documented_shapes(api, interview):
    response = api("GET", f"/omni/get/onboarding/status?id={interview.id}")
    assert response.status_code == 200
    assert response.json() == {"onboardingStatus": "ONBOARDING_FINISHED"}
    assert int(response["Processing-Time"]) >= 0

    score = api("GET", f"/omni/get/score?id={interview.id}").json()
    assert score["overall"]["status"] == "MANUAL"
    assert score["needsReviewReason"] == "RULE_APPLIED"
    assert {"photoSecurityAndQuality", "idSpecific", "overall"} <= set(score["idValidation"])
    assert {"livenessScore", "photoQuality", "overall"} <= set(score["liveness"])
    assert {"existingUser", "maskCheck", "overall"} <= set(score["faceRecognition"])
    assert "overallConfidence" in score["idOcrConfidence"]
    warned = [
        c["key"] for c in score["idValidation"]["photoSecurityAndQuality"] if c["status"] == "WARN"
    ]
    assert warned

    ocr = api("GET", f"/omni/get/ocr-data?id={interview.id}").json()
    assert {"fullName", "firstName", "paternalLastName", "givenName"} <= set(ocr["name"])
    assert isinstance(ocr["birthDate"], int)
    assert {"nameConfidence", "birthDateConfidence", "addressConfidence"} <= set(
        ocr["ocrDataConfidence"]
    )

    antifraud = api("GET", f"/omni/process/antifraud?id={interview.id}").json()
    assert antifraud == {"result": "PASSED"}


def test_images_are_decodable_jpegs_and_absent_types_are_omitted(api, account):
    interview = services.create_interview(account, "poa_review", seed=3)
    wanted = ["croppedFrontID", "croppedBackID", "selfie", "croppedFace", "document", "signature"]
    response = api("POST", f"/omni/get/images?id={interview.id}", {"images": wanted})
    assert response.status_code == 200
    images = response.json()
    assert set(images) == set(wanted) - {"signature"}
    sizes = {}
    for kind, encoded in images.items():
        picture = Image.open(io.BytesIO(base64.b64decode(encoded)))
        assert picture.format == "JPEG"
        picture.load()
        sizes[kind] = picture.size
    assert sizes["croppedFrontID"] == (640, 400)

    in_progress = services.create_interview(account, "in_progress", seed=4)
    response = api("POST", f"/omni/get/images?id={in_progress.id}", {"images": ["document"]})
    assert response.json() == {}


@pytest.mark.parametrize("body", [{}, {"images": []}, {"images": "selfie"}, {"images": [1]}])
def test_images_needs_a_list_of_types(api, interview, body):
    response = api("POST", f"/omni/get/images?id={interview.id}", body)
    assert_error(response, 400, "Bad Request", "/omni/get/images")


def test_search_pages_in_updated_order_from_a_moment(api, account):
    now = timezone.now()
    made = [
        services.create_interview(
            account, "clean", with_images=False, updated_at=now - dt.timedelta(minutes=10 - i)
        )
        for i in range(5)
    ]
    first = api("GET", "/omni/search/interviews?page=0&size=2").json()
    assert first["totalElements"] == 5 and first["totalPages"] == 3 and first["page"] == 0
    assert [r["interviewId"] for r in first["interviews"]] == [made[0].id, made[1].id]
    assert first["interviews"][0]["updatedAt"] == made[0].updated_at_ms
    last = api("GET", "/omni/search/interviews?page=2&size=2").json()
    assert [r["interviewId"] for r in last["interviews"]] == [made[4].id]

    since = made[3].updated_at_ms
    recent = api("GET", f"/omni/search/interviews?from={since}&size=100").json()
    assert [r["interviewId"] for r in recent["interviews"]] == [made[3].id, made[4].id]


@pytest.mark.parametrize("query", ["size=0", "size=101", "page=-1", "from=soon", "size=x"])
def test_search_validates_its_parameters(api, account, query):
    response = api("GET", f"/omni/search/interviews?{query}")
    assert_error(response, 400, "Bad Request", "/omni/search/interviews")


# ---------------------------------------------------------------- writes


def test_manual_review_approved_changes_state_logs_and_notifies(
    api, interview, account, sent_notifications
):
    response = api(
        "PUT",
        f"/omni/manual-review?interviewId={interview.id}",
        {"manualReviewStatus": "APPROVED", "newReason": "verified: fine"},
    )
    assert response.status_code == 200 and response.json() == {"success": True}
    assert "Processing-Time" in response
    interview.refresh_from_db()
    assert interview.onboarding_status == "MANUAL_REVIEW_APPROVED"
    assert interview.score["overall"]["status"] == "MANUAL_OK"
    assert interview.manual_review_reasons == ["verified: fine"]

    (call,) = services.received_calls(interview_id=interview.id)
    assert call.outcome == ReceivedCall.Outcome.APPLIED
    assert (call.method, call.path, call.response_status) == ("PUT", "/omni/manual-review", 200)
    assert call.body == {"manualReviewStatus": "APPROVED", "newReason": "verified: fine"}
    assert call.headers["api-version"] == "1.0"

    (note,) = sent_notifications
    assert note["url"] == "http://kycdash.test/webhooks/x/"
    assert note["headers"] == {"X-Webhook-Secret": "s3cret"}
    assert note["timeout"] == 5.0
    assert note["json"]["interviewId"] == interview.id
    assert note["json"]["onboardingStatus"] == "MANUAL_REVIEW_APPROVED"
    assert note["json"]["eventId"] and isinstance(note["json"]["timestamp"], int)


def test_manual_review_rejected_and_required(api, interview, sent_notifications):
    api(
        "PUT", f"/omni/manual-review?interviewId={interview.id}", {"manualReviewStatus": "REJECTED"}
    )
    interview.refresh_from_db()
    assert interview.onboarding_status == "MANUAL_REVIEW_REJECTED"
    assert interview.score["overall"]["status"] == "MANUAL_FAIL"
    assert len(sent_notifications) == 1

    api(
        "PUT",
        f"/omni/manual-review?interviewId={interview.id}",
        {"manualReviewStatus": "REQUIRED", "newReason": "second look"},
    )
    interview.refresh_from_db()
    assert interview.onboarding_status == "ONBOARDING_FINISHED"
    assert interview.score["overall"]["status"] == "MANUAL"
    assert len(sent_notifications) == 1  # REQUIRED sends no notification


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"{not json", "Malformed JSON"),
        (b"[1, 2]", "JSON object"),
        (b"", "body is missing"),
        (json.dumps({"newReason": "x"}).encode(), "manualReviewStatus is mandatory"),
        (json.dumps({"manualReviewStatus": "approved"}).encode(), "Invalid manualReviewStatus"),
        (json.dumps({"manualReviewStatus": "APPROVED", "newReason": 5}).encode(), "newReason"),
    ],
)
def test_bad_manual_review_requests_are_400_and_change_nothing(api, interview, raw, fragment):
    response = api("PUT", f"/omni/manual-review?interviewId={interview.id}", raw=raw)
    body = assert_error(response, 400, "Bad Request", "/omni/manual-review")
    assert fragment in body["message"]
    interview.refresh_from_db()
    assert interview.onboarding_status == "ONBOARDING_FINISHED"
    assert interview.score["overall"]["status"] == "MANUAL"
    (call,) = services.received_calls(interview_id=interview.id)
    assert call.outcome == ReceivedCall.Outcome.REJECTED


def test_rejected_auth_on_a_write_is_logged_and_not_applied(api, interview, omni_headers):
    headers = {**omni_headers, "X-Incode-Hardware-Id": "nope"}
    response = api(
        "PUT",
        f"/omni/manual-review?interviewId={interview.id}",
        {"manualReviewStatus": "APPROVED"},
        headers=headers,
    )
    assert_error(response, 401, "Unauthorized", "/omni/manual-review")
    interview.refresh_from_db()
    assert interview.onboarding_status == "ONBOARDING_FINISHED"
    (call,) = services.received_calls(interview_id=interview.id)
    assert (call.outcome, call.response_status) == (ReceivedCall.Outcome.REJECTED, 401)


def test_idempotency_key_replays_the_first_answer_without_applying_again(
    api, interview, omni_headers, sent_notifications
):
    headers = {**omni_headers, "Idempotency-Key": "decision-42"}
    path = f"/omni/manual-review?interviewId={interview.id}"
    body = {"manualReviewStatus": "APPROVED", "newReason": "verified"}
    first = api("PUT", path, body, headers=headers)
    second = api("PUT", path, body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() == {"success": True}

    interview.refresh_from_db()
    assert interview.manual_review_reasons == ["verified"]  # applied once
    outcomes = [c.outcome for c in services.received_calls(interview_id=interview.id)]
    assert outcomes == [ReceivedCall.Outcome.REPLAY, ReceivedCall.Outcome.APPLIED]
    assert len(sent_notifications) == 1

    # the same key for a different request is refused, not replayed
    other = api("PUT", path, {"manualReviewStatus": "REJECTED"}, headers=headers)
    assert_error(other, 422, "Unprocessable Entity", "/omni/manual-review")
    interview.refresh_from_db()
    assert interview.onboarding_status == "MANUAL_REVIEW_APPROVED"


def test_a_replay_does_not_even_run_the_change(api, interview, omni_headers, monkeypatch):
    runs = []
    real = services.interview_manual_review

    def counting(*args, **kwargs):
        runs.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "interview_manual_review", counting)
    headers = {**omni_headers, "Idempotency-Key": "once"}
    for _ in range(3):
        api(
            "PUT",
            f"/omni/manual-review?interviewId={interview.id}",
            {"manualReviewStatus": "APPROVED"},
            headers=headers,
        )
    assert runs == ["APPROVED"]


def test_the_database_refuses_a_second_application_of_one_key(account):
    """What keeps two concurrent deliveries of one key from both being applied."""
    fields = {
        "account": account,
        "method": "PUT",
        "path": "/omni/manual-review",
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


def test_a_key_is_per_account(api, account, omni_headers):
    other = services.account_get_or_create("other-key", "other-token")
    mine = services.create_interview(account, "manual_review", with_images=False)
    theirs = services.create_interview(other, "manual_review", with_images=False)
    body = {"manualReviewStatus": "APPROVED"}
    api(
        "PUT",
        f"/omni/manual-review?interviewId={mine.id}",
        body,
        headers={**omni_headers, "Idempotency-Key": "k1"},
    )
    other_headers = {
        "api-version": "1.0",
        "x-api-key": "other-key",
        "X-Incode-Hardware-Id": "other-token",
        "Idempotency-Key": "k1",
    }
    api("PUT", f"/omni/manual-review?interviewId={theirs.id}", body, headers=other_headers)
    theirs.refresh_from_db()
    assert theirs.onboarding_status == "MANUAL_REVIEW_APPROVED"


def test_resolve_antifraud_marks_the_finding_resolved(api, account):
    services.create_interview(account, "clean", with_images=False)
    flagged = services.create_interview(account, "antifraud_failed", with_images=False)
    before = api("GET", f"/omni/process/antifraud?id={flagged.id}").json()
    assert before == {"result": "FAILED", "stepName": "IdFaceAntifraudExecutor"}

    response = api("PUT", f"/omni/resolve/antifraud?interviewId={flagged.id}&reason=twins")
    assert response.status_code == 200 and response.json() == {"success": True}
    flagged.refresh_from_db()
    assert flagged.antifraud_resolved and flagged.antifraud_resolved_reason == "twins"
    after = api("GET", f"/omni/process/antifraud?id={flagged.id}").json()
    assert after == {"result": "PASSED"}
    (call,) = services.received_calls(interview_id=flagged.id)
    assert call.query == {"interviewId": flagged.id, "reason": "twins"}


def test_watchlist_needs_a_unique_field(api, account):
    response = api("POST", "/omni/add/watchlist/single-record", {"name": "ANNA WEBER"})
    body = assert_error(response, 400, "Bad Request", "/omni/add/watchlist/single-record")
    assert "At least one of" in body["message"]
    assert not WatchlistRecord.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"idNumber": "X1", "watchlistType": "blacklist"},
        {"idNumber": 12345},
        {"idNumber": "X1", "birthDate": "28/12/1990"},
        {"imageBase64": "***not base64***"},
    ],
)
def test_watchlist_validates_fields(api, account, body):
    response = api("POST", "/omni/add/watchlist/single-record", body)
    assert_error(response, 400, "Bad Request", "/omni/add/watchlist/single-record")


def test_watchlist_accepts_birth_dates_before_1970(api, account):
    body = {"idNumber": "X1", "birthDate": "-145238400000", "watchlistType": "BLACKLIST"}
    response = api("POST", "/omni/add/watchlist/single-record", body)
    assert response.status_code == 200
    assert WatchlistRecord.objects.get().birth_date == "-145238400000"


def test_watchlist_add(api, account):
    body = {
        "name": "ANNA WEBER",
        "birthDate": "662342400000",
        "idNumber": "ZYW503007",
        "watchlistType": "BLACKLIST",
    }
    response = api("POST", "/omni/add/watchlist/single-record", body)
    assert response.status_code == 200 and response.json() == {"success": True}
    record = WatchlistRecord.objects.get()
    assert (record.account, record.watchlist_type, record.id_number) == (
        account,
        "BLACKLIST",
        "ZYW503007",
    )


def test_delete_interview_removes_personal_data(api, account):
    interview = services.create_interview(account, "clean", seed=5)
    response = api("DELETE", f"/omni/interview?interviewId={interview.id}")
    assert response.status_code == 200 and response.json() == {"success": True}
    interview.refresh_from_db()
    assert interview.deleted and interview.ocr == {} and not interview.images.exists()
    assert api("GET", f"/omni/get/ocr-data?id={interview.id}").json() == {}
    bad = api("DELETE", f"/omni/interview?interviewId={interview.id}&keepCustomer=maybe")
    assert_error(bad, 400, "Bad Request", "/omni/interview")


# ---------------------------------------------------------------- faults


def test_fail_next_answers_503_then_recovers(api, interview, account):
    services.account_set_faults(account, fail_next=2)
    path = f"/omni/get/onboarding/status?id={interview.id}"
    for _ in range(2):
        assert_error(api("GET", path), 503, "Service Unavailable", "/omni/get/onboarding/status")
    assert api("GET", path).status_code == 200
    account.refresh_from_db()
    assert (account.fault_next, account.faults_served) == (0, 2)


def test_down_until_cleared_with_retry_after_and_faults_logged(api, interview, account):
    services.account_set_faults(account, down=True, retry_after=7)
    path = f"/omni/manual-review?interviewId={interview.id}"
    for _ in range(3):
        response = api("PUT", path, {"manualReviewStatus": "APPROVED"})
        assert_error(response, 503, "Service Unavailable", "/omni/manual-review")
        assert response["Retry-After"] == "7"
    interview.refresh_from_db()
    assert interview.onboarding_status == "ONBOARDING_FINISHED"
    outcomes = {c.outcome for c in services.received_calls(interview_id=interview.id)}
    assert outcomes == {ReceivedCall.Outcome.FAULT}

    services.account_clear_faults(account)
    assert api("PUT", path, {"manualReviewStatus": "APPROVED"}).status_code == 200
    applied = services.received_calls(interview_id=interview.id, outcome="applied")
    assert applied.count() == 1


def test_a_faulted_write_with_a_key_is_applied_on_the_retry(api, interview, account, omni_headers):
    services.account_set_faults(account, fail_next=1)
    headers = {**omni_headers, "Idempotency-Key": "k-retry"}
    path = f"/omni/manual-review?interviewId={interview.id}"
    assert api("PUT", path, {"manualReviewStatus": "APPROVED"}, headers=headers).status_code == 503
    assert api("PUT", path, {"manualReviewStatus": "APPROVED"}, headers=headers).status_code == 200
    interview.refresh_from_db()
    assert interview.onboarding_status == "MANUAL_REVIEW_APPROVED"


def test_delay_shows_in_processing_time(api, interview, account):
    services.account_set_faults(account, delay_ms=60)
    response = api("GET", f"/omni/get/onboarding/status?id={interview.id}")
    assert response.status_code == 200
    assert int(response["Processing-Time"]) >= 60


def test_fault_settings_are_validated(account):
    with pytest.raises(ValueError):
        services.account_set_faults(account, fail_next=-1)
    with pytest.raises(ValueError):
        services.account_set_faults(account, delay_ms=10**9)


# ---------------------------------------------------------------- scenarios


def test_every_scenario_builds(account):
    for scenario in SCENARIOS:
        interview = services.create_interview(account, scenario, seed=11)
        assert interview.scenario == scenario
        assert len(interview.id) == 24 and int(interview.id, 16) >= 0


def test_scenario_contents(account):
    clean = services.create_interview(account, "clean", seed=1)
    assert clean.onboarding_status == "ONBOARDING_FINISHED"
    assert clean.score["overall"]["status"] == "OK"
    assert 85 <= float(clean.score["overall"]["value"]) <= 95

    low = services.create_interview(account, "low_score", seed=2)
    assert low.score["overall"]["status"] == "FAIL" and float(low.score["overall"]["value"]) < 60
    photo = low.score["idValidation"]["photoSecurityAndQuality"]
    assert any(c["status"] == "FAIL" for c in photo)

    poa = services.create_interview(account, "poa_review", seed=3)
    confidences = poa.ocr["ocrDataConfidence"]
    assert 0.6 <= confidences["addressFromStatementConfidence"] <= 0.75
    assert 0.6 <= confidences["poaNameConfidence"] <= 0.75
    assert poa.ocr["documentType"] == "otherPoa" and poa.ocr["poaName"]
    assert set(poa.images.values_list("image_type", flat=True)) == {
        "croppedFrontID",
        "croppedBackID",
        "selfie",
        "croppedFace",
        "document",
    }

    fraud = services.create_interview(account, "antifraud_failed", seed=4)
    assert fraud.antifraud_result == "FAILED"
    assert fraud.antifraud_step == "IdFaceAntifraudExecutor"
    face = fraud.score["faceRecognition"]
    assert face["existingUser"] is True
    assert face["existingInterviewId"] in {clean.id, low.id, poa.id}
    assert fraud.face_seed == Interview.objects.get(pk=face["existingInterviewId"]).face_seed

    waiting = services.create_interview(account, "in_progress", seed=5)
    assert waiting.onboarding_status == "FACE_VALIDATION_FINISHED"
    assert waiting.score == {} and waiting.antifraud_result == "NOT_EXECUTED"


def test_antifraud_failed_alone_has_no_existing_interview_id(account):
    fraud = services.create_interview(account, "antifraud_failed", with_images=False)
    assert fraud.score["faceRecognition"]["existingUser"] is True
    assert "existingInterviewId" not in fraud.score["faceRecognition"]


def test_seed_makes_content_reproducible_but_ids_unique(account):
    at = timezone.now()
    a = services.create_interview(account, "clean", seed=9, full_name="Ada Lovelace", updated_at=at)
    b = services.create_interview(account, "clean", seed=9, full_name="Ada Lovelace", updated_at=at)
    assert a.id != b.id
    assert a.ocr == b.ocr
    assert a.ocr["name"]["fullName"] == "ADA LOVELACE"
    assert bytes(a.images.get(image_type="selfie").content) == bytes(
        b.images.get(image_type="selfie").content
    )


def test_unknown_scenario_is_refused(account):
    with pytest.raises(ValueError, match="unknown scenario"):
        services.create_interview(account, "nope")


def test_notification_failure_is_recorded_not_raised(account, interview, monkeypatch):
    def boom(*args, **kwargs):
        raise httpx.ConnectError("refused")

    monkeypatch.setattr(services.httpx, "post", boom)
    services.account_configure_webhook(account, "http://127.0.0.1:9/hook", "s")
    note = services.notify_status_changed(interview)
    assert note.pk and note.response_status is None and "ConnectError" in note.error
    assert not note.delivered

    services.account_configure_webhook(account, "", "")
    note = services.notify_status_changed(interview)
    assert note.error == "no webhook URL configured"


# ---------------------------------------------------------------- control and page


def post_json(client, path: str, body: dict):
    return client.post(f"{BASE}/_control/{path}", json.dumps(body), content_type="application/json")


def test_control_endpoints(client, sent_notifications):
    # a new account, created through the control endpoint
    created = post_json(client, "accounts", {"api_key": "ctl-key", "admin_token": "ctl-token"})
    assert created.status_code == 200 and created.json()["api_key"] == "ctl-key"

    hooked = post_json(
        client, "webhook", {"api_key": "ctl-key", "url": "http://kycdash.test/h", "secret": "s"}
    )
    assert hooked.json()["webhook_url"] == "http://kycdash.test/h"

    faults = post_json(client, "faults", {"api_key": "ctl-key", "fail_next": 3, "delay_ms": 5})
    assert faults.json()["faults"]["fail_next"] == 3
    cleared = post_json(client, "faults", {"api_key": "ctl-key", "clear": True})
    assert cleared.json()["faults"] == {
        "fail_next": 0,
        "down": False,
        "delay_ms": 0,
        "retry_after": None,
        "served": 0,
    }

    made = post_json(
        client,
        "interviews",
        {"api_key": "ctl-key", "scenario": "clean", "seed": 1, "notify": True},
    ).json()
    assert made["onboarding_status"] == "ONBOARDING_FINISHED"
    assert made["notification"]["response_status"] == 200
    again = post_json(client, f"interviews/{made['interview_id']}/notify", {})
    assert again.json()["payload"]["interviewId"] == made["interview_id"]
    assert len(sent_notifications) == 2

    assert (
        post_json(client, "interviews", {"api_key": "ctl-key", "scenario": "x"}).status_code == 400
    )
    assert post_json(client, "faults", {"api_key": "unknown"}).status_code == 404
    assert post_json(client, "faults", {"api_key": "ctl-key", "fail_next": "3"}).status_code == 400
    bad = client.post(f"{BASE}/_control/faults", "{", content_type="application/json")
    assert bad.status_code == 400
    assert client.get(f"{BASE}/_control/faults").status_code == 405


def test_received_log_as_json_filtered_by_interview(client, api, account, omni_headers):
    one = services.create_interview(account, "manual_review", with_images=False)
    two = services.create_interview(account, "manual_review", with_images=False)
    headers = {**omni_headers, "Idempotency-Key": "abc"}
    api(
        "PUT",
        f"/omni/manual-review?interviewId={one.id}",
        {"manualReviewStatus": "APPROVED"},
        headers=headers,
    )
    api("PUT", f"/omni/manual-review?interviewId={two.id}", {"manualReviewStatus": "REJECTED"})

    log = client.get(f"{BASE}/_control/received?interviewId={one.id}").json()
    assert log["count"] == 1
    (entry,) = log["calls"]
    assert entry["method"] == "PUT" and entry["path"] == "/omni/manual-review"
    assert entry["idempotency_key"] == "abc"
    assert entry["outcome"] == "applied"
    assert entry["headers"]["x-api-key"] == omni_headers["x-api-key"]
    assert entry["body"] == {"manualReviewStatus": "APPROVED"}
    everything = client.get(f"{BASE}/_control/received").json()
    assert everything["count"] == 2
    assert everything["calls"][0]["interview_id"] == two.id  # newest first


def test_control_is_off_when_sandboxes_are_disabled(client, settings, account):
    settings.SANDBOXES_ENABLED = False
    assert client.get(f"{BASE}/_control/received").status_code == 404
    assert post_json(client, "faults", {"api_key": account.api_key}).status_code == 404
    assert client.get(f"{BASE}/").status_code == 404


def test_the_page_shows_accounts_interviews_and_the_log(client, api, account, interview):
    api(
        "PUT",
        f"/omni/manual-review?interviewId={interview.id}",
        {"manualReviewStatus": "APPROVED", "newReason": "looks right"},
    )
    response = client.get(f"{BASE}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Test bank" in html
    assert interview.id in html
    assert "/omni/manual-review" in html and "looks right" in html
    assert "incode_sandbox/sandbox.css" in html
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert account.api_key not in html  # masked

    image = client.get(f"{BASE}/images/{interview.id}/selfie")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
