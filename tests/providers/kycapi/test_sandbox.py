"""The KYC API sandbox through Django's test client: token, auth, errors, reads, writes,
the log, faults, webhooks, control endpoints and the page."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from urllib.parse import urlencode

import httpx
import pytest
from django.utils import timezone
from PIL import Image

from providers.kycapi.sandbox import services
from providers.kycapi.sandbox.models import (
    AccessToken,
    IdaSession,
    ReceivedCall,
    Session,
    Webhook,
)
from providers.kycapi.sandbox.scenarios import SCENARIOS
from tests.providers.kycapi.conftest import BASE, CLIENT_ID, CLIENT_SECRET

ERROR_KEYS = {"statusCode", "message", "error"}


def assert_error(response, status: int, reason: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["statusCode"] == status
    assert body["error"] == reason
    assert body["message"]
    return body


@pytest.fixture
def session(account):
    return services.create_session(account, "dmv_mismatch", seed=1)


def basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_request(client, form: dict | None = None, *, auth: str | None = None, content_type=None):
    headers = {"Authorization": auth} if auth else {}
    return client.post(
        f"{BASE}/oauth/token",
        urlencode(form if form is not None else {"grant_type": "client_credentials"}),
        content_type=content_type or "application/x-www-form-urlencoded",
        headers=headers,
    )


@pytest.fixture
def sent_deliveries(monkeypatch, account):
    """Capture the sandbox's webhook deliveries instead of sending them."""
    sent = []

    def fake_post(url, *, json, headers, timeout):
        sent.append({"url": url, "json": json, "headers": headers, "timeout": timeout})
        return httpx.Response(200, json={"received": True})

    monkeypatch.setattr(services.httpx, "post", fake_post)
    return sent


# ---------------------------------------------------------------- token endpoint


def test_token_with_basic_auth(client, account):
    response = token_request(client, auth=basic())
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["access_token"].startswith("kyc_at_")
    assert response["Cache-Control"] == "no-store" and response["Pragma"] == "no-cache"
    stored = AccessToken.objects.get(account=account)
    assert body["access_token"] not in stored.digest  # only a digest is kept
    account.refresh_from_db()
    assert account.tokens_issued == 1


def test_token_with_form_credentials_and_the_accounts_lifetime(client, account):
    services.account_get_or_create(CLIENT_ID, CLIENT_SECRET, token_ttl_seconds=60)
    response = token_request(
        client,
        {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert response.status_code == 200 and response.json()["expires_in"] == 60


@pytest.mark.parametrize(
    ("auth", "form"),
    [
        (basic(secret="wrong"), None),
        (basic(client_id="nobody"), None),
        (None, None),
        (None, {"grant_type": "client_credentials", "client_id": CLIENT_ID}),
        ("Basic ***", None),
    ],
)
def test_bad_client_credentials_are_401_invalid_client(client, account, auth, form):
    response = token_request(client, form, auth=auth)
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed.",
    }
    assert response["WWW-Authenticate"] == 'Basic realm="kyc-api"'


@pytest.mark.parametrize(
    ("form", "content_type", "error"),
    [
        ({}, None, "invalid_request"),
        ({"grant_type": "password"}, None, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, "application/json", "invalid_request"),
        (
            {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "x"},
            None,
            "invalid_request",
        ),
    ],
)
def test_malformed_token_requests_are_400(client, account, form, content_type, error):
    response = token_request(client, form, auth=basic(), content_type=content_type)
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_the_token_endpoint_is_post_only(client, account):
    assert_error(client.get(f"{BASE}/oauth/token"), 404, "Not Found")


# ---------------------------------------------------------------- auth and errors


@pytest.mark.parametrize("authorization", [None, "", "Bearer ", "Bearer nope", "Basic abc"])
def test_missing_or_unknown_bearer_token_is_401(api, session, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = api("/idv/sessions/read", {"session_id": session.id}, headers=headers)
    body = assert_error(response, 401, "Unauthorized")
    assert body["message"] == "Unauthorized"
    assert response["WWW-Authenticate"] == 'Bearer realm="kyc-api"'


def test_an_expired_or_revoked_token_is_401_invalid_token(api, account, bearer, session):
    AccessToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = api("/idv/sessions/read", {"session_id": session.id})
    assert_error(response, 401, "Unauthorized")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    AccessToken.objects.update(expires_at=timezone.now() + dt.timedelta(hours=1))
    assert api("/idv/sessions/read", {"session_id": session.id}).status_code == 200
    assert services.tokens_revoke(account) == 1
    assert api("/idv/sessions/read", {"session_id": session.id}).status_code == 401


def test_an_x_client_id_of_another_client_is_403_and_none_is_fine(api, bearer, session):
    auth = {"Authorization": f"Bearer {bearer}"}
    response = api(
        "/idv/sessions/read", {"session_id": session.id}, headers={**auth, "X-Client-Id": "x"}
    )
    assert_error(response, 403, "Forbidden")
    assert api("/idv/sessions/read", {"session_id": session.id}, headers=auth).status_code == 200


def test_unknown_and_foreign_sessions_are_404(api, account):
    other = services.account_get_or_create("other-client", "other-secret")
    foreign = services.create_session(other, "clean", with_images=False)
    for session_id in ("no-such-session", foreign.id):
        body = assert_error(api("/idv/sessions/read", {"session_id": session_id}), 404, "Not Found")
        assert body["message"] == "Session not found"


@pytest.mark.parametrize(
    ("body", "messages"),
    [
        ({}, ["session_id should not be empty"]),
        ({"session_id": 5}, ["session_id must be a string", "session_id should not be empty"]),
        ({"session_id": " "}, ["session_id should not be empty"]),
        ({"session_id": "x" * 101}, ["session_id must be shorter than or equal to 100 characters"]),
        ({"session_id": "a", "sessionId": "a"}, ["property sessionId should not exist"]),
    ],
)
def test_validation_errors_are_400_with_a_list_of_messages(api, account, body, messages):
    response = api("/idv/sessions/read", body)
    assert assert_error(response, 400, "Bad Request")["message"] == messages


def test_malformed_json_and_non_objects_are_400(api, account):
    assert_error(api("/idv/sessions/read", raw=b"{nope"), 400, "Bad Request")
    assert_error(api("/idv/sessions/read", raw=b"[1]"), 400, "Bad Request")


def test_unknown_paths_and_wrong_methods_are_404_cannot(api, account):
    body = assert_error(api("/idv/sessions/get", {"session_id": "x"}), 404, "Not Found")
    assert body["message"] == "Cannot POST /idv/sessions/get"
    body = assert_error(api("/idv/sessions/read", method="GET"), 404, "Not Found")
    assert body["message"] == "Cannot GET /idv/sessions/read"
    body = assert_error(api("/health", {}), 404, "Not Found")
    assert body["message"] == "Cannot POST /health"


def test_health_needs_no_token(client, db):
    body = client.get(f"{BASE}/health").json()
    assert body["status"] == "ok" and body["version"] == "2.10.15"
    assert {"timestamp", "uptime", "environment", "checks", "details", "error"} <= set(body)


# ---------------------------------------------------------------- reads


def test_session_read_has_every_documented_field(api, session):
    body = api("/idv/sessions/read", {"session_id": session.id}).json()
    documented = [
        "session_id", "user_id", "client_id", "idv_weights_id", "status_e", "document_type_e",
        "created_at", "completed_at", "first_name", "middle_name", "last_name", "suffix_name",
        "gender_e", "birth_date", "consented", "consented_at", "document_front_given",
        "document_front_given_at", "document_back_given", "document_back_given_at",
        "liveness_detected", "liveness_detected_at", "selfie_given", "selfie_given_at",
        "dmv_status_e", "dmv_detected_at", "ofac_status_e", "ofac_detected_at", "verified",
        "verified_at", "score", "identity_id", "metadata", "webhook_url", "settings", "history",
    ]  # fmt: skip
    assert list(body) == documented
    assert body["status_e"] == "complete" and body["dmv_status_e"] == "no_match"
    assert body["client_id"] == CLIENT_ID and body["verified"] is False
    assert body["created_at"].endswith("Z") and len(body["created_at"]) == 24
    assert body["history"][-1]["event"] == "completed"


def test_session_test_read_has_every_field(api, session):
    body = api("/idv/session-tests/read", {"session_id": session.id}).json()
    assert len(body) == 28
    assert [k for k, v in body.items() if v is False and k.startswith("dmv_")]
    assert body["doc_front_image_manipulation"] in ("very_unlikely", "unlikely")


def test_document_read_prefers_the_barcode_and_list_pages(api, session):
    document = api("/idv/documents/read", {"session_id": session.id}).json()
    assert document["data_source_e"] == "barcode"
    assert document["session_id"] == session.id and document["document_id"]
    assert document["type_e"] == session.document_type_e
    first = api("/idv/documents/list", {"session_id": session.id, "take": 1}).json()
    second = api("/idv/documents/list", {"session_id": session.id, "take": 1, "skip": 1}).json()
    assert first["meta_counts"] == {"total": 2}
    assert [d["data_source_e"] for d in first["documents"] + second["documents"]] == [
        "ocr",
        "barcode",
    ]


def test_a_session_without_a_document_answers_404(api, account):
    expired = services.create_session(account, "expired", with_images=False)
    body = assert_error(api("/idv/documents/read", {"session_id": expired.id}), 404, "Not Found")
    assert body["message"] == "Document not found"


def test_download_answers_the_jpeg_and_404_for_a_missing_file(api, session):
    front = {"driver_license": "driver_license_front", "identification_card": "state_id_card_front"}
    kind = front[session.document_type_e]
    response = api(
        "/idv/documents/download", {"session_id": session.id, "storage_file_type_e": kind}
    )
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "JPEG" and image.size == (512, 324)
    missing = api(
        "/idv/documents/download",
        {"session_id": session.id, "storage_file_type_e": "passport_front"},
    )
    assert (
        assert_error(missing, 404, "Not Found")["message"]
        == "No passport_front file for this session"
    )
    bad = api("/idv/documents/download", {"session_id": session.id, "storage_file_type_e": "face"})
    assert (
        "storage_file_type_e must be one of" in assert_error(bad, 400, "Bad Request")["message"][0]
    )


def test_session_list_pages_in_created_order_with_meta_counts_and_filters(api, account):
    now = timezone.now()
    made = [
        services.create_session(
            account, scenario, with_images=False, created_at=now - dt.timedelta(hours=5 - i)
        )
        for i, scenario in enumerate(("clean", "in_progress", "clean", "expired", "ofac_hit"))
    ]
    first = api("/idv/sessions/list", {"take": 2}).json()
    assert [s["session_id"] for s in first["sessions"]] == [m.id for m in made[:2]]
    assert first["meta_counts"] == {
        "total": 5,
        "by_status": {"complete": 3, "expired": 1, "in_progress": 1},
    }
    assert "history" in first["sessions"][0] and "metadata" not in first["sessions"][0]
    complete = api("/idv/sessions/list", {"status": "complete", "take": 100}).json()
    assert [s["session_id"] for s in complete["sessions"]] == [made[0].id, made[2].id, made[4].id]
    assert complete["meta_counts"]["total"] == 3
    since = api("/idv/sessions/list", {"start_date": made[3].created_at.isoformat()}).json()
    assert [s["session_id"] for s in since["sessions"]] == [m.id for m in made[3:]]
    by_identity = api("/idv/sessions/list", {"identity_id": [made[1].identity_id]}).json()
    assert [s["session_id"] for s in by_identity["sessions"]] == [made[1].id]
    by_name = api("/idv/sessions/list", {"search_term": made[0].last_name.lower()}).json()
    assert made[0].id in [s["session_id"] for s in by_name["sessions"]]
    by_meta = api("/idv/sessions/list", {"metadata": made[2].metadata}).json()
    assert [s["session_id"] for s in by_meta["sessions"]] == [made[2].id]
    assert api("/idv/sessions/list", {"client_id": "someone-else"}).json()["sessions"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"take": 0},
        {"take": 101},
        {"take": "10"},
        {"skip": -1},
        {"status": "done"},
        {"start_date": "yesterday"},
        {"identity_id": []},
        {"metadata": {"a b": 1}},
        {"order": "desc"},
    ],
)
def test_session_list_validates_its_body(api, account, body):
    assert_error(api("/idv/sessions/list", body), 400, "Bad Request")


def test_ida_session_list_shows_an_identitys_reauthentications(api, account):
    one = services.create_session(account, "clean", with_images=False)
    services.create_reauthentication(one, authenticated=False)
    other = services.create_session(account, "clean", with_images=False)
    services.create_reauthentication(other)
    body = api("/ida/sessions/list", {"identity_id": one.identity_id, "take": 100}).json()
    mine = IdaSession.objects.filter(identity=one.identity).order_by("created_at", "id")
    assert [s["session_id"] for s in body["sessions"]] == [i.id for i in mine]
    assert body["meta_counts"]["total"] == mine.count()
    assert body["sessions"][-1]["authenticated"] is False
    failed = api("/ida/sessions/list", {"identity_id": one.identity_id, "verified": False}).json()
    assert len(failed["sessions"]) == 1


# ---------------------------------------------------------------- writes and the log


def test_anonymize_blanks_personal_data_and_a_repeat_is_a_replay(api, session):
    response = api("/idv/sessions/anonymize", {"session_id": session.id})
    assert response.status_code == 200 and response.json() == {}
    body = api("/idv/sessions/read", {"session_id": session.id}).json()
    assert (body["first_name"], body["last_name"], body["birth_date"]) == ("", "", "")
    assert body["status_e"] == "complete" and body["score"] == session.score
    document = api("/idv/documents/read", {"session_id": session.id}).json()
    assert document["document_number"] == "" and document["street"] == ""
    assert session.files.count() == 0
    api("/idv/sessions/anonymize", {"session_id": session.id})
    outcomes = [c.outcome for c in services.received_calls(session_id=session.id)]
    assert outcomes == ["replay", "applied"]


def test_delete_makes_the_session_unknown_and_a_second_delete_404(api, session):
    assert api("/idv/sessions/delete", {"session_id": session.id}).status_code == 200
    assert api("/idv/sessions/read", {"session_id": session.id}).status_code == 404
    assert api("/idv/sessions/list", {}).json()["meta_counts"]["total"] == 0
    assert api("/idv/sessions/delete", {"session_id": session.id}).status_code == 404
    calls = list(services.received_calls(session_id=session.id))
    assert [(c.outcome, c.response_status) for c in calls] == [("rejected", 404), ("applied", 200)]
    session.refresh_from_db()
    assert session.deleted and session.first_name == "" and session.documents.count() == 0


def test_the_log_records_writes_with_masked_token_and_no_reads(api, session):
    api("/idv/sessions/read", {"session_id": session.id})
    api("/idv/sessions/anonymize", {"session_id": session.id})
    (call,) = ReceivedCall.objects.all()
    assert (call.method, call.path, call.outcome) == ("POST", "/idv/sessions/anonymize", "applied")
    assert call.headers["Authorization"] == "Bearer …"
    assert call.headers["X-Client-Id"] == CLIENT_ID
    assert call.body == {"session_id": session.id}
    assert call.session_id == session.id and call.account.client_id == CLIENT_ID


def test_a_rejected_write_without_a_token_is_logged_and_not_applied(api, session):
    response = api("/idv/sessions/delete", {"session_id": session.id}, headers={})
    assert response.status_code == 401
    (call,) = ReceivedCall.objects.all()
    assert (call.outcome, call.response_status, call.account) == ("rejected", 401, None)
    session.refresh_from_db()
    assert not session.deleted


def test_webhooks_create_list_and_delete_never_showing_the_secret(api, account):
    created = api(
        "/webhooks/create",
        {"name": "kycdash-1", "url": "https://kycdash.test/webhooks/1/", "secret": "s3cret-value"},
    )
    assert created.status_code == 201 and created.json() == {}
    api("/webhooks/create", {"name": "other", "url": "https://other.test/"})
    listed = api("/webhooks/list", {"search_term": "kycdash"}).json()
    (row,) = listed["webhooks"]
    assert listed["statistics"] == {"total": 1}
    assert set(row) == {"id", "client_id", "name", "url", "created_at"}
    assert Webhook.objects.get(pk=row["id"]).secret == "s3cret-value"
    assert api("/webhooks/delete", {"id": row["id"]}).status_code == 200
    assert api("/webhooks/delete", {"id": row["id"]}).status_code == 404
    assert api("/webhooks/list", {}).json()["statistics"] == {"total": 1}
    logged = json.dumps([services.call_as_dict(c) for c in services.received_calls()])
    assert "s3cret-value" not in logged
    assert '"secret": "\\u2026"' in logged


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://k.test/"},
        {"name": "n"},
        {"name": "n", "url": "ftp://k.test/"},
        {"name": "n", "url": "not a url"},
        {"name": "n", "url": "https://k.test/", "secret": 5},
        {"name": "n", "url": "https://k.test/", "events": ["all"]},
    ],
)
def test_webhook_create_validates_its_body(api, account, body):
    assert_error(api("/webhooks/create", body), 400, "Bad Request")
    assert not Webhook.objects.exists()


def test_webhooks_of_another_client_are_refused(api, account):
    response = api("/webhooks/create", {"name": "n", "url": "https://k.test/", "client_id": "x"})
    assert_error(response, 403, "Forbidden")


# ---------------------------------------------------------------- faults


def test_fail_next_answers_503_then_recovers(api, session, account):
    services.account_set_faults(account, fail_next=2)
    statuses = [api("/idv/sessions/read", {"session_id": session.id}).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    account.refresh_from_db()
    assert account.faults_served == 2


def test_down_until_cleared_with_retry_after_faults_logged_and_the_token_endpoint_too(
    client, api, session, account
):
    services.account_set_faults(account, down=True, retry_after=7)
    response = api("/idv/sessions/anonymize", {"session_id": session.id})
    assert_error(response, 503, "Service Unavailable")
    assert response["Retry-After"] == "7"
    token = token_request(client, auth=basic())
    assert token.status_code == 503 and token["Retry-After"] == "7"
    (call,) = ReceivedCall.objects.all()
    assert call.outcome == "fault"
    session.refresh_from_db()
    assert session.anonymized_at is None
    services.account_clear_faults(account)
    assert api("/idv/sessions/anonymize", {"session_id": session.id}).status_code == 200


def test_delay_slows_the_answer(api, session, account):
    import time

    services.account_set_faults(account, delay_ms=120)
    started = time.monotonic()
    api("/idv/sessions/read", {"session_id": session.id})
    assert time.monotonic() - started >= 0.12


def test_fault_settings_are_validated(account):
    for kwargs in ({"fail_next": -1}, {"delay_ms": -5}, {"delay_ms": 10**6}, {"retry_after": -1}):
        with pytest.raises(ValueError):
            services.account_set_faults(account, **kwargs)


# ---------------------------------------------------------------- scenarios


def test_every_scenario_builds_with_its_files(account):
    expected_files = {
        "expired": 0,
        "in_progress": 1,
        "blocked": 3,
    }
    for scenario in SCENARIOS:
        made = services.create_session(account, scenario, seed=3)
        assert made.scenario == scenario
        count = made.files.count()
        assert count == expected_files.get(scenario, count)
        if scenario not in expected_files:
            assert count >= 3  # front, selfie, liveness (and a back when the document has one)
        for stored in made.files.all():
            with Image.open(io.BytesIO(bytes(stored.content))) as image:
                image.verify()


def test_scenario_contents(account):
    made = {
        name: services.create_session(account, name, seed=9, with_images=False)
        for name in SCENARIOS
    }
    assert made["clean"].verified is True and 86 <= made["clean"].score <= 97
    assert made["dmv_mismatch"].dmv_status_e == "no_match"
    assert any(v is False for k, v in made["dmv_mismatch"].tests.items() if k.startswith("dmv_"))
    assert made["document_fraud"].tests["doc_front_image_manipulation"] == "very_likely"
    assert made["ofac_hit"].ofac_status_e == "on_sanction_list"
    assert made["low_score"].score < 50
    assert made["in_progress"].status_e == "in_progress" and made["in_progress"].verified is None
    assert made["temporarily_complete"].dmv_status_e == "pending"
    assert made["blocked"].status_e == "temporarily_blocked"
    assert made["expired"].status_e == "expired" and made["expired"].first_name == ""
    for session in made.values():
        assert session.created_at <= timezone.now()
        moments = [e["created_at"] for e in session.history]
        assert moments == sorted(moments)


def test_seed_makes_content_reproducible_but_ids_unique(account):
    one = services.create_session(account, "clean", seed=42, with_images=False)
    two = services.create_session(account, "clean", seed=42, with_images=False)
    assert one.id != two.id and one.identity_id != two.identity_id
    assert (one.first_name, one.last_name, one.score) == (two.first_name, two.last_name, two.score)


def test_unknown_scenario_is_refused(account):
    with pytest.raises(ValueError, match="unknown scenario"):
        services.create_session(account, "nope")
    assert not Session.objects.exists()


# ---------------------------------------------------------------- deliveries


def test_notify_delivers_to_every_webhook_with_its_secret(account, session, sent_deliveries):
    services.webhook_create(account, name="a", url="http://kycdash.test/webhooks/1/", secret="s1")
    services.webhook_create(account, name="b", url="http://other.test/hook")
    notifications = services.notify(session)
    assert [n.response_status for n in notifications] == [200, 200]
    first, second = sent_deliveries
    assert first["url"] == "http://kycdash.test/webhooks/1/"
    assert first["headers"]["X-Webhook-Secret"] == "s1"
    assert "X-Webhook-Secret" not in second["headers"]
    assert first["json"]["event_type"] == "idv.session.status_changed"
    assert first["json"]["session_id"] == session.id
    assert first["json"]["identity_id"] == session.identity_id
    assert first["json"]["event_id"] != second["json"]["event_id"]
    assert first["timeout"] == services.NOTIFY_TIMEOUT_SECONDS


def test_a_failed_delivery_is_recorded_not_raised(account, session, monkeypatch):
    services.webhook_create(account, name="a", url="http://127.0.0.1:9/nowhere", secret="s")

    def refuse(*args, **kwargs):
        raise httpx.ConnectError("refused")

    monkeypatch.setattr(services.httpx, "post", refuse)
    (notification,) = services.notify(session)
    assert notification.response_status is None and "ConnectError" in notification.error
    assert not notification.delivered


def test_no_webhook_no_delivery(account, session, sent_deliveries):
    assert services.notify(session) == [] and sent_deliveries == []


# ---------------------------------------------------------------- control endpoints and page


def post_json(client, path: str, body: dict):
    return client.post(f"{BASE}/_control/{path}", json.dumps(body), content_type="application/json")


def test_control_endpoints(client, sent_deliveries):
    created = post_json(client, "accounts", {"client_id": "ctl", "client_secret": "ctl-secret"})
    assert created.status_code == 200 and created.json()["client_id"] == "ctl"
    assert "ctl-secret" not in created.content.decode()

    faults = post_json(client, "faults", {"client_id": "ctl", "fail_next": 3, "delay_ms": 5})
    assert faults.json()["faults"]["fail_next"] == 3
    cleared = post_json(client, "faults", {"client_id": "ctl", "clear": True})
    assert cleared.json()["faults"] == {
        "fail_next": 0,
        "down": False,
        "delay_ms": 0,
        "retry_after": None,
        "served": 0,
    }
    account = services.account_get_or_create("ctl", "ctl-secret")
    services.webhook_create(account, name="k", url="http://kycdash.test/h", secret="s")

    made = post_json(
        client, "sessions", {"client_id": "ctl", "scenario": "clean", "seed": 1, "notify": True}
    ).json()
    assert made["status_e"] == "complete"
    assert made["notifications"][0]["response_status"] == 200
    again = post_json(client, f"sessions/{made['session_id']}/notify", {})
    assert again.json()["notifications"][0]["payload"]["session_id"] == made["session_id"]
    reauth = post_json(
        client,
        f"sessions/{made['session_id']}/reauthenticate",
        {"authenticated": False, "notify": True},
    ).json()
    assert reauth["ida_session"]["authenticated"] is False
    assert reauth["notifications"][0]["payload"]["event_type"] == "ida.session.status_changed"
    assert len(sent_deliveries) == 3

    services.token_issue(account)
    assert post_json(client, "tokens/revoke", {"client_id": "ctl"}).json() == {"revoked": 1}

    assert post_json(client, "sessions", {"client_id": "ctl", "scenario": "x"}).status_code == 400
    assert post_json(client, "faults", {"client_id": "unknown"}).status_code == 404
    assert post_json(client, "faults", {"client_id": "ctl", "fail_next": "3"}).status_code == 400
    assert post_json(client, "faults", {"client_id": "ctl", "fail_next": True}).status_code == 400
    assert post_json(client, "sessions/nope/notify", {}).status_code == 404
    bad = client.post(f"{BASE}/_control/faults", "{", content_type="application/json")
    assert bad.status_code == 400
    assert client.get(f"{BASE}/_control/faults").status_code == 405


def test_received_log_as_json_filtered_by_session(client, api, account):
    one = services.create_session(account, "clean", with_images=False)
    two = services.create_session(account, "clean", with_images=False)
    api("/idv/sessions/anonymize", {"session_id": one.id})
    api("/idv/sessions/delete", {"session_id": two.id})
    log = client.get(f"{BASE}/_control/received?session_id={one.id}").json()
    assert log["count"] == 1
    (entry,) = log["calls"]
    assert (entry["path"], entry["outcome"], entry["body"]) == (
        "/idv/sessions/anonymize",
        "applied",
        {"session_id": one.id},
    )
    everything = client.get(f"{BASE}/_control/received?client_id={CLIENT_ID}").json()
    assert [c["session_id"] for c in everything["calls"]] == [two.id, one.id]  # newest first


def test_control_is_off_when_sandboxes_are_disabled(client, settings, account):
    settings.SANDBOXES_ENABLED = False
    assert client.get(f"{BASE}/_control/received").status_code == 404
    assert post_json(client, "faults", {"client_id": CLIENT_ID}).status_code == 404
    assert client.get(f"{BASE}/").status_code == 404


def test_the_page_shows_clients_webhooks_sessions_the_log_and_deliveries(
    client, api, account, session, sent_deliveries
):
    services.webhook_create(account, name="kycdash-1", url="http://kycdash.test/h", secret="s3cr3t")
    services.notify(session)
    api("/idv/sessions/anonymize", {"session_id": session.id})
    response = client.get(f"{BASE}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Test bank" in html and CLIENT_ID in html
    assert session.id in html and "no_match" in html and "anonymized" in html
    assert "/idv/sessions/anonymize" in html
    assert "kycdash-1" in html and "idv.session.status_changed" in html
    assert "kycapi_sandbox/sandbox.css" in html
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert CLIENT_SECRET not in html and "s3cr3t" not in html


def test_the_page_links_each_file(client, account):
    made = services.create_session(account, "clean", seed=2)
    html = client.get(f"{BASE}/").content.decode()
    for stored in made.files.all():
        url = f"{BASE}/files/{made.id}/{stored.storage_file_type_e}"
        assert url in html
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
