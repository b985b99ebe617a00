"""The LE-KO sandbox through Django's test client: auth, errors, state, log, faults.

Every answer of the API (and every well-formed request) is validated against the
OpenAPI document, so the sandbox cannot drift from it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import time
import uuid

import jwt
import pytest
from django.utils import timezone
from PIL import Image

from providers.leko.sandbox import services
from providers.leko.sandbox.models import Member, ReceivedCall, Verification
from providers.leko.sandbox.scenarios import SCENARIOS
from tests.providers.leko import contract
from tests.providers.leko.conftest import SANDBOX_PATH

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def review(account):
    return services.create_verification(account, "admin_review", seed=1)


@pytest.fixture
def headers(admin_credentials) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {admin_credentials['token']}",
        "x-current-user-id": admin_credentials["user_id"],
    }


def headers_for(member: Member, **token_kwargs) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {services.issue_token(member, **token_kwargs)}",
        "x-current-user-id": str(member.user_id),
    }


@pytest.fixture
def api(client, headers):
    """api(method, path, body=None, headers=..., raw=..., valid_request=True) -> response.

    Each answer is checked against the document; so is the request, unless the test
    sends a malformed one on purpose (``valid_request=False``).
    """

    def call(
        method: str,
        path: str,
        body=None,
        *,
        headers=headers,
        raw: bytes | None = None,
        content_type: str = "application/json",
        valid_request: bool = True,
    ):
        kwargs = {"headers": headers}
        if raw is not None or body is not None:
            kwargs["data"] = raw if raw is not None else json.dumps(body)
            kwargs["content_type"] = content_type
        response = getattr(client, method.lower())(f"{SANDBOX_PATH}{path}", **kwargs)
        request, answer = contract.from_django(response, base_path=SANDBOX_PATH)
        if valid_request:
            contract.validate_request(request)
        contract.validate_response(request, answer)
        return response

    return call


def assert_error(response, status: int, code: str, message: str | None = None) -> dict:
    assert response.status_code == status, response.content
    (error,) = response.json()["errors"]
    assert error["code"] == code
    assert error["requestId"] == response["x-request-id"]
    assert error["endpoint"].startswith(response.wsgi_request.method + " /")
    if message is not None:
        assert error["message"] == message
    return error


# ---------------------------------------------------------------- auth and errors


def test_a_missing_or_non_bearer_token_is_401(api, review, headers):
    path = f"/verifications/{review.id}"
    no_token = {"x-current-user-id": headers["x-current-user-id"]}
    response = api("GET", path, headers=no_token, valid_request=False)
    assert_error(response, 401, "unauthorized")
    basic = {**no_token, "Authorization": "Basic dXNlcjpwYXNz"}
    assert_error(api("GET", path, headers=basic, valid_request=False), 401, "unauthorized")


def test_a_token_signed_with_another_key_or_of_nobody_is_401(api, review, account, headers):
    admin = services.account_admin(account)
    forged = jwt.encode(
        {"sub": str(admin.user_id), "iss": "le-ko-sandbox", "iat": 1, "exp": 2**31},
        "not-the-accounts-key-but-long-enough",
        algorithm="HS256",
    )
    response = api(
        "GET", "/verifications", headers={**headers, "Authorization": f"Bearer {forged}"}
    )
    assert_error(response, 401, "unauthorized", "Invalid token.")
    for token in ("not.a.jwt", jwt.encode({"sub": str(uuid.uuid4())}, "k" * 40, algorithm="HS256")):
        response = api(
            "GET", "/verifications", headers={**headers, "Authorization": f"Bearer {token}"}
        )
        assert_error(response, 401, "unauthorized", "Invalid token.")


def test_an_expired_token_is_401(api, account, headers):
    admin = services.account_admin(account)
    stale = headers_for(admin, now=timezone.now() - dt.timedelta(days=2), ttl=dt.timedelta(days=1))
    assert_error(api("GET", "/verifications", headers=stale), 401, "unauthorized", "Token expired.")


@pytest.mark.parametrize("user_id", [None, "", "admin-123"])
def test_a_missing_or_malformed_current_user_is_400(api, headers, user_id):
    sent = {"Authorization": headers["Authorization"]}
    if user_id is not None:
        sent["x-current-user-id"] = user_id
    response = api("GET", "/verifications", headers=sent, valid_request=False)
    assert_error(response, 400, "validation")


def test_a_current_user_that_is_not_the_tokens_is_403(api, account, headers):
    coach = services.member_create(account, "coach")
    response = api(
        "GET", "/verifications", headers={**headers, "x-current-user-id": str(coach.user_id)}
    )
    assert_error(response, 403, "forbidden", "x-current-user-id is not the token's user.")


def test_unknown_paths_and_wrong_methods_answer_lekos_error_body(api, review):
    assert_error(api("GET", "/nowhere", valid_request=False), 404, "notFound")
    assert_error(api("GET", "/verifications/", valid_request=False), 404, "notFound")
    response = api("DELETE", f"/verifications/{review.id}", valid_request=False)
    assert_error(response, 405, "validation")


def test_every_answer_has_a_request_id(api, review):
    first = api("GET", f"/verifications/{review.id}")
    second = api("GET", f"/verifications/{review.id}")
    assert len(first["x-request-id"]) == 32
    assert first["x-request-id"] != second["x-request-id"]


# ---------------------------------------------------------------- reading


def test_get_verification_returns_the_documented_shape(api, review):
    body = api("GET", f"/verifications/{review.id}").json()
    assert body["id"] == str(review.id)
    assert body["status"] == "admin_review_required"
    assert body["currentStep"] == "admin_review"
    assert body["failureReason"]["reason"] == "admin_review_required"
    assert body["imageMatchResult"]["isMatched"] is False
    assert 0.66 <= body["imageMatchResult"]["matchScore"] < 0.8
    assert body["avatarVerification"]["fileKey"].startswith(f"avatars/{review.coach_id}/")
    assert body["passportVerification"]["fileKey"].startswith(f"passports/{review.coach_id}/")
    assert set(body["passportVerification"]["passportData"]) == {
        "firstName",
        "lastName",
        "passportNumber",
        "dateOfBirth",
        "issuedDate",
        "placeOfBirth",
        "middleName",
        "subdivision",
    }
    assert body["updatedAt"].endswith("Z")


def test_an_id_that_is_not_a_uuid_is_400_and_an_unknown_one_404(api, account):
    response = api("GET", "/verifications/no-such-session-000000000000", valid_request=False)
    assert_error(response, 400, "validation", "verificationId must be a UUID.")
    response = api("GET", f"/verifications/{UNKNOWN_ID}")
    assert_error(response, 404, "notFound", f"Verification {UNKNOWN_ID} not found.")


def test_another_accounts_verification_is_404(api, account):
    other = services.account_get_or_create("other-tenant")
    theirs = services.create_verification(other, "clean", with_images=False)
    assert_error(api("GET", f"/verifications/{theirs.id}"), 404, "notFound")


def test_the_listing_pages_newest_first_and_follows_total(api, account):
    now = timezone.now()
    made = [
        services.create_verification(
            account, "pending", with_images=False, updated_at=now - dt.timedelta(hours=i)
        )
        for i in range(5)
    ]
    first = api("GET", "/verifications?number=0&limit=2").json()
    assert (first["count"], first["page"], first["limit"], first["total"]) == (2, 0, 2, 5)
    assert [row["id"] for row in first["data"]] == [str(made[0].id), str(made[1].id)]
    last = api("GET", "/verifications?number=2&limit=2").json()
    assert [row["id"] for row in last["data"]] == [str(made[4].id)]
    beyond = api("GET", "/verifications?number=9&limit=2").json()
    assert (beyond["data"], beyond["count"], beyond["total"]) == ([], 0, 5)
    default = api("GET", "/verifications").json()
    assert (default["limit"], default["count"]) == (10, 5)


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=x", "number=-1", "number=1.5", "coachId=nope"]
)
def test_the_listing_validates_its_parameters(api, account, query):
    response = api("GET", f"/verifications?{query}", valid_request=False)
    assert_error(response, 400, "validation")


def test_coaches_see_their_own_verifications_admins_see_all(api, account):
    mine = services.create_verification(account, "clean", with_images=False)
    theirs = services.create_verification(account, "clean", with_images=False)
    coach = Member.objects.get(user_id=mine.coach_id)
    as_coach = api("GET", "/verifications", headers=headers_for(coach)).json()
    assert [row["id"] for row in as_coach["data"]] == [str(mine.id)]
    response = api("GET", f"/verifications/{theirs.id}", headers=headers_for(coach))
    assert_error(response, 404, "notFound")
    by_coach = api("GET", f"/verifications?coachId={theirs.coach_id}").json()
    assert [row["id"] for row in by_coach["data"]] == [str(theirs.id)]


def test_files_are_served_by_key_as_jpeg(api, review):
    key = review.passport["fileKey"]
    response = api("GET", f"/files/{key}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.content)) as picture:
        assert picture.format == "JPEG" and picture.size == (620, 440)
    encoded = api("GET", "/files/" + key.replace("/", "%2F"))
    assert encoded.content == response.content


def test_an_unknown_or_foreign_file_is_404(api, account, review):
    assert_error(api("GET", "/files/avatars/nope.jpg"), 404, "notFound", "File not found.")
    other = services.account_get_or_create("other-tenant")
    theirs = services.create_verification(other, "clean")
    assert_error(api("GET", f"/files/{theirs.avatar['fileKey']}"), 404, "notFound")


# ---------------------------------------------------------------- the admin decision


def test_approve_moves_the_verification_on_and_is_logged(api, review):
    body = {"approved": True, "notes": "Checked by hand", "reviewerId": "alice"}
    response = api("PUT", f"/verifications/{review.id}/admin", body)

    assert response.status_code == 200
    answer = response.json()
    assert (answer["id"], answer["status"], answer["currentStep"]) == (
        str(review.id),
        "approved",
        "completed",
    )
    assert answer["progress"]["imagesMatched"] is True
    review.refresh_from_db()
    assert review.status == "approved" and review.completed_at is not None
    assert review.admin_approval == body
    (call,) = services.received_calls(verification_id=str(review.id))
    assert (call.method, call.path, call.outcome, call.response_status) == (
        "PUT",
        f"/verifications/{review.id}/admin",
        "applied",
        200,
    )
    assert call.body == body
    assert call.headers["Authorization"].startswith("Bearer eyJ")
    assert call.headers["Authorization"].endswith("characters)")  # masked, never whole
    assert call.headers["x-current-user-id"] == str(services.account_admin(review.account).user_id)


def test_reject_with_a_reason(api, review):
    body = {"approved": False, "reason": "identity_mismatch", "reviewerId": "bob"}
    assert api("PUT", f"/verifications/{review.id}/admin", body).json()["status"] == "rejected"
    assert api("GET", f"/verifications/{review.id}").json()["adminApproval"] == body


def test_a_second_decision_is_409_and_changes_nothing(api, review):
    path = f"/verifications/{review.id}/admin"
    api("PUT", path, {"approved": True})
    response = api("PUT", path, {"approved": False, "reason": "fake_document"})
    assert_error(
        response,
        409,
        "validation",
        "Verification must be in admin_review_required status; it is approved.",
    )
    review.refresh_from_db()
    assert review.admin_approval == {"approved": True}
    outcomes = [c.outcome for c in services.received_calls(verification_id=str(review.id))]
    assert outcomes == ["rejected", "applied"]


def test_a_decision_on_a_verification_not_awaiting_one_is_409(api, account):
    clean = services.create_verification(account, "clean", with_images=False)
    response = api("PUT", f"/verifications/{clean.id}/admin", {"approved": True})
    assert_error(response, 409, "validation")
    clean.refresh_from_db()
    assert clean.admin_approval is None


def test_the_database_lets_only_one_of_two_concurrent_decisions_apply(review):
    services.verification_admin_decide(review, {"approved": True})
    stale = Verification.objects.get(pk=review.pk)
    stale.status = "admin_review_required"  # what a concurrent request read a moment ago
    with pytest.raises(services.Conflict):
        services.verification_admin_decide(stale, {"approved": False})


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"", "body is required"),
        (b"{not json", "Malformed JSON"),
        (b"[true]", "JSON object"),
        (b"{}", "approved is required"),
        (b'{"approved": "yes"}', "approved is required"),
        (b'{"approved": false, "reason": "verified"}', "reason must be one of"),
        (json.dumps({"approved": True, "notes": "n" * 501}).encode(), "at most 500"),
        (b'{"approved": true, "reviewerId": 7}', "reviewerId must be a string"),
    ],
)
def test_bad_decisions_are_400_logged_and_change_nothing(api, review, raw, fragment):
    response = api("PUT", f"/verifications/{review.id}/admin", raw=raw, valid_request=False)
    error = assert_error(response, 400, "validation")
    assert fragment in error["message"]
    review.refresh_from_db()
    assert review.status == "admin_review_required" and review.admin_approval is None
    (call,) = services.received_calls(verification_id=str(review.id))
    assert (call.outcome, call.response_status) == ("rejected", 400)


def test_a_decision_needs_json(api, review):
    response = api(
        "PUT",
        f"/verifications/{review.id}/admin",
        raw=b"approved=true",
        content_type="application/x-www-form-urlencoded",
        valid_request=False,
    )
    assert_error(response, 400, "validation", "Content-Type must be application/json.")


def test_a_coach_cannot_decide(api, review):
    coach = Member.objects.get(user_id=review.coach_id)
    response = api(
        "PUT", f"/verifications/{review.id}/admin", {"approved": True}, headers=headers_for(coach)
    )
    assert_error(response, 403, "forbidden", "The admin role is required.")


# ---------------------------------------------------------------- the coach's flow


@pytest.fixture
def coach(account):
    return services.member_create(account, "coach", name="Test Coach")


def test_a_coach_goes_from_start_to_approval(api, coach):
    as_coach = headers_for(coach)
    created = api("POST", "/verifications", {"notes": "first try"}, headers=as_coach)
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["currentStep"], body["coachId"], body["notes"]) == (
        "pending",
        "initialize",
        str(coach.user_id),
        "first try",
    )
    path = f"/verifications/{body['id']}"
    again = api("POST", "/verifications", {}, headers=as_coach)
    assert_error(again, 409, "validation", "Active Verification already exists for this coach.")

    avatar = api("POST", f"{path}/avatar", {"fileKey": "me/avatar.jpg"}, headers=as_coach).json()
    assert (avatar["status"], avatar["currentStep"]) == ("avatar_verified", "passport_verification")
    assert avatar["avatarVerification"]["isHuman"] is True
    passport = api("POST", f"{path}/passport", {"fileKey": "me/pp.jpg"}, headers=as_coach).json()
    assert (passport["status"], passport["currentStep"]) == ("approved", "completed")
    assert passport["imageMatchResult"]["isMatched"] is True
    assert passport["passportVerification"]["passportData"]["lastName"]

    status = api("GET", "/verifications/status", headers=as_coach).json()
    assert status["progress"] == {
        "avatarVerified": {"success": True, "attempts": 1},
        "passportVerified": {"success": True, "attempts": 1},
        "imagesMatched": True,
    }
    # the sandbox drew the images the keys name, as if the app had uploaded them
    picture = api("GET", "/files/me/pp.jpg", headers=as_coach)
    assert picture.status_code == 200 and picture.content.startswith(b"\xff\xd8\xff")
    calls = services.received_calls(verification_id=body["id"])
    assert [(c.method, c.outcome) for c in calls] == [("POST", "applied"), ("POST", "applied")]


@pytest.mark.parametrize(
    ("passport_key", "status", "reason"),
    [
        ("pp-review.jpg", "admin_review_required", "admin_review_required"),
        ("pp-other-person.jpg", "rejected", "images_no_match"),
        ("pp-blurry.jpg", "avatar_verified", "passport_ocr_failed"),
    ],
)
def test_words_in_the_file_key_steer_the_outcome(api, coach, passport_key, status, reason):
    as_coach = headers_for(coach)
    verification = services.verification_start(coach)
    path = f"/verifications/{verification.id}"
    api("POST", f"{path}/avatar", {"fileKey": "a.jpg"}, headers=as_coach)
    body = api("POST", f"{path}/passport", {"fileKey": passport_key}, headers=as_coach).json()
    assert (body["status"], body["failureReason"]["reason"]) == (status, reason)


def test_an_avatar_without_a_face_can_be_retried(api, coach):
    as_coach = headers_for(coach)
    verification = services.verification_start(coach)
    path = f"/verifications/{verification.id}/avatar"
    body = api("POST", path, {"fileKey": "noface.jpg"}, headers=as_coach).json()
    assert (body["status"], body["failureReason"]["reason"]) == ("pending", "avatar_not_human")
    body = api("POST", path, {"fileKey": "face.jpg"}, headers=as_coach).json()
    assert body["status"] == "avatar_verified" and "failureReason" not in body
    assert_error(api("POST", path, {"fileKey": "again.jpg"}, headers=as_coach), 409, "validation")
    status = api("GET", "/verifications/status", headers=as_coach).json()
    assert status["progress"]["avatarVerified"] == {"success": True, "attempts": 2}


def test_uploads_out_of_order_or_malformed_are_refused(api, coach):
    as_coach = headers_for(coach)
    verification = services.verification_start(coach)
    path = f"/verifications/{verification.id}"
    response = api("POST", f"{path}/passport", {"fileKey": "pp.jpg"}, headers=as_coach)
    assert_error(
        response, 400, "validation", "The avatar must be verified before the passport is uploaded."
    )
    response = api("POST", f"{path}/avatar", {"fileKey": ""}, headers=as_coach, valid_request=False)
    assert_error(response, 400, "validation", "fileKey is required.")


def test_an_admin_does_not_start_verifications(api):
    assert_error(api("POST", "/verifications", {}), 403, "forbidden")


def test_status_without_a_verification_is_404(api, coach):
    assert_error(api("GET", "/verifications/status", headers=headers_for(coach)), 404, "notFound")


def test_passport_data_can_be_corrected_until_completion(api, account):
    waiting = services.create_verification(account, "passport_verified", with_images=False)
    data = dict(waiting.passport["passportData"], firstName="Corrected")
    response = api("PUT", f"/verifications/{waiting.id}", data)
    assert response.status_code == 204 and response.content == b""
    waiting.refresh_from_db()
    assert waiting.passport["passportData"]["firstName"] == "Corrected"

    missing = {k: v for k, v in data.items() if k != "subdivision"}
    response = api("PUT", f"/verifications/{waiting.id}", missing, valid_request=False)
    assert_error(response, 400, "validation", "subdivision is required and must be a string.")
    response = api(
        "PUT",
        f"/verifications/{waiting.id}",
        dict(data, dateOfBirth="15/01/1990"),
        valid_request=False,
    )
    assert_error(response, 400, "validation")
    done = services.create_verification(account, "clean", with_images=False)
    response = api("PUT", f"/verifications/{done.id}", data)
    assert_error(response, 400, "validation")


# ---------------------------------------------------------------- faults


def test_fail_next_answers_503_then_recovers(api, review, account):
    services.account_set_faults(account, fail_next=2)
    path = f"/verifications/{review.id}"
    assert_error(api("GET", path), 503, "unexpected", "Service temporarily unavailable.")
    assert_error(api("GET", path), 503, "unexpected")
    assert api("GET", path).status_code == 200
    account.refresh_from_db()
    assert (account.fault_next, account.faults_served) == (0, 2)


def test_429_faults_with_retry_after(api, review, account):
    services.account_set_faults(account, fail_next=1, status=429, retry_after=3)
    response = api("GET", f"/verifications/{review.id}")
    assert_error(response, 429, "tooManyRequests")
    assert response["Retry-After"] == "3"


def test_down_until_cleared_and_faulted_writes_are_logged_not_applied(api, review, account):
    services.account_set_faults(account, down=True)
    for _ in range(3):
        assert api("GET", "/verifications").status_code == 503
    response = api("PUT", f"/verifications/{review.id}/admin", {"approved": True})
    assert response.status_code == 503
    (call,) = services.received_calls(verification_id=str(review.id))
    assert (call.outcome, call.response_status) == ("fault", 503)
    review.refresh_from_db()
    assert review.status == "admin_review_required"
    services.account_clear_faults(account)
    assert api("PUT", f"/verifications/{review.id}/admin", {"approved": True}).status_code == 200


def test_faults_without_a_token_cannot_be_told_apart_from_auth(api, account):
    """An unauthenticated caller belongs to no account: it gets 401, not the fault."""
    services.account_set_faults(account, down=True)
    assert_error(api("GET", "/verifications", headers={}, valid_request=False), 401, "unauthorized")


def test_delay_slows_the_answer(api, review, account):
    services.account_set_faults(account, delay_ms=60)
    started = time.monotonic()
    api("GET", f"/verifications/{review.id}")
    assert time.monotonic() - started >= 0.06


@pytest.mark.parametrize(
    "kwargs", [{"fail_next": -1}, {"status": 404}, {"delay_ms": 60_001}, {"retry_after": -2}]
)
def test_fault_settings_are_validated(account, kwargs):
    with pytest.raises(ValueError):
        services.account_set_faults(account, **kwargs)


# ---------------------------------------------------------------- scenarios


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_is_a_valid_verification_with_its_images(api, account, scenario):
    verification = services.create_verification(account, scenario, seed=3)
    body = api("GET", f"/verifications/{verification.id}").json()
    assert body["status"] == verification.status
    for kind, key in verification.file_keys.items():
        response = api("GET", f"/files/{key}")
        with Image.open(io.BytesIO(response.content)) as picture:
            picture.verify()
        assert len(response.content) < 60_000, f"{kind} image too large for the suite"


def test_scenario_contents(account):
    expectations = {
        "clean": ("approved", "completed", None),
        "admin_review": ("admin_review_required", "admin_review", "admin_review_required"),
        "rejected": ("rejected", "completed", "images_no_match"),
        "avatar_not_human": ("pending", "avatar_verification", "avatar_not_human"),
        "pending": ("pending", "initialize", None),
        "avatar_verified": ("avatar_verified", "passport_verification", None),
        "passport_verified": ("passport_verified", "image_matching", None),
    }
    for scenario, (status, step, reason) in expectations.items():
        made = services.create_verification(account, scenario, with_images=False)
        assert (made.status, made.current_step) == (status, step), scenario
        assert (made.failure or {}).get("reason") == reason, scenario
        assert (made.completed_at is not None) == (step == "completed"), scenario
        coach = Member.objects.get(user_id=made.coach_id)
        assert coach.role == "coach" and coach.name


def test_seed_makes_content_reproducible_but_ids_unique(account):
    first = services.create_verification(account, "clean", seed=42)
    second = services.create_verification(account, "clean", seed=42)
    assert first.id != second.id and first.coach_id != second.coach_id
    assert first.passport["passportData"] == second.passport["passportData"]
    assert first.image_match["matchScore"] == second.image_match["matchScore"]
    assert first.file_keys["avatar"] != second.file_keys["avatar"]


def test_unknown_scenario_is_refused(account):
    with pytest.raises(ValueError, match="unknown scenario"):
        services.create_verification(account, "nope")


def test_the_rejected_scenario_shows_another_face_on_the_passport(account):
    rejected = services.create_verification(account, "rejected", seed=5)
    clean = services.create_verification(account, "clean", seed=5)
    # same seed, same coach face; only the rejected passport carries someone else
    files = {f.file_key: bytes(f.content) for f in account.files.all()}
    assert files[rejected.file_keys["avatar"]] == files[clean.file_keys["avatar"]]
    assert files[rejected.file_keys["passport"]] != files[clean.file_keys["passport"]]


# ---------------------------------------------------------------- control and page


def test_control_endpoints(client, db):
    base = f"{SANDBOX_PATH}/_control"

    def post(name, body):
        return client.post(f"{base}/{name}", data=json.dumps(body), content_type="application/json")

    created = post("accounts", {"key": "ctl", "name": "Control"}).json()
    credentials = created["credentials"]
    assert set(credentials) == {"token", "user_id"}
    assert (
        post("accounts", {"key": "ctl"}).json()["credentials"]["user_id"]
        == (credentials["user_id"])
    )
    made = post("verifications", {"key": "ctl", "scenario": "admin_review", "seed": 1}).json()
    assert made["status"] == "admin_review_required"
    member = post("members", {"key": "ctl", "role": "coach", "ttl_seconds": 60}).json()
    assert (
        member["role"] == "coach"
        and jwt.decode(member["token"], options={"verify_signature": False})["sub"]
        == member["user_id"]
    )
    faults = post("faults", {"key": "ctl", "fail_next": 2, "status": 429, "retry_after": 1})
    assert faults.json()["faults"] == {
        "fail_next": 2,
        "status": 429,
        "down": False,
        "delay_ms": 0,
        "retry_after": 1,
        "served": 0,
    }
    assert post("faults", {"key": "ctl", "clear": True}).json()["faults"]["fail_next"] == 0

    assert post("verifications", {"key": "ctl", "scenario": "nope"}).status_code == 400
    assert post("verifications", {"key": "nobody", "scenario": "clean"}).status_code == 404
    assert post("faults", {"key": "ctl", "down": 1}).status_code == 400
    assert post("faults", {"key": "ctl", "fail_next": True}).status_code == 400
    assert post("members", {"key": "ctl", "role": "boss"}).status_code == 400
    assert (
        client.post(f"{base}/faults", data="{x", content_type="application/json").status_code == 400
    )
    assert client.get(f"{base}/accounts").status_code == 405


def test_received_log_as_json_filtered(client, api, review, account):
    api("PUT", f"/verifications/{review.id}/admin", {"approved": True})
    api("PUT", f"/verifications/{review.id}/admin", {"approved": True})
    url = f"{SANDBOX_PATH}/_control/received"
    body = client.get(url, {"verificationId": str(review.id), "key": account.key}).json()
    assert body["count"] == 2
    assert [c["outcome"] for c in body["calls"]] == ["rejected", "applied"]
    assert body["calls"][1]["body"] == {"approved": True}
    assert client.get(url, {"outcome": "applied"}).json()["count"] == 1
    assert client.get(url, {"key": "nobody"}).status_code == 404


def test_control_and_page_are_off_when_sandboxes_are_disabled(client, settings, account):
    settings.SANDBOXES_ENABLED = False
    response = client.post(
        f"{SANDBOX_PATH}/_control/accounts", data="{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert client.get(f"{SANDBOX_PATH}/").status_code == 404


def test_the_page_shows_accounts_verifications_and_the_log(client, api, review, account):
    api(
        "PUT",
        f"/verifications/{review.id}/admin",
        {"approved": False, "reason": "fake_document", "reviewerId": "alice"},
    )
    page = client.get(f"{SANDBOX_PATH}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert account.key in html
    assert str(review.id) in html
    assert "fake_document" in html and "by alice" in html
    assert f"PUT /verifications/{review.id}/admin" in html
    assert "Applied" in html
    link = next(f for f in account.files.all() if f.file_key == review.file_keys["avatar"])
    assert f"{SANDBOX_PATH}/_files/{link.pk}" in html
    image = client.get(f"{SANDBOX_PATH}/_files/{link.pk}")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert admin_token_not_on_page(html, account)


def admin_token_not_on_page(html: str, account) -> bool:
    return account.jwt_secret not in html and "eyJ" not in html


def test_models_have_readable_names(account, review):
    call = ReceivedCall(method="PUT", path="/x", response_status=409, outcome="rejected")
    assert str(call) == "PUT /x → 409 (rejected)"
    assert str(account) == "Test tenant"
    assert str(review) == f"{review.id} (admin_review_required)"
    assert str(services.account_admin(account)).startswith("admin ")
    assert str(account.files.first()).startswith(("avatars/", "passports/"))
