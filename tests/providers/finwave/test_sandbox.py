"""The Finwave sandbox through Django's test client: auth, errors, state, ZIPs, log, faults."""

from __future__ import annotations

import io
import json
import zipfile

import httpx
import pytest
from PIL import Image

from providers.finwave.sandbox import services
from providers.finwave.sandbox.models import Notification, Onboarding, ReceivedCall, mask_webhook
from providers.finwave.sandbox.scenarios import SCENARIOS, STATUS_OF
from tests.providers.finwave.conftest import TOKEN

BASE = "/sandbox/finwave"
API = f"{BASE}/management"
ERROR_KEYS = {"statusCode", "message", "error"}
RESULT_KEYS = [
    "status",
    "onboardingId",
    "customId",
    "processStatus",
    "acceptations",
    "evidences",
    "ocr",
    "biometry",
    "smsEvents",
    "logs",
    "userAgent",
]
WEBHOOK = "http://kycdash.test/webhooks/0b7c/the-secret/"


def assert_error(response, status: int, reason: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["statusCode"] == status
    assert body["error"] == reason
    assert body["message"]
    return body["message"]


@pytest.fixture
def api(client):
    """api(method, path, body=None, token=TOKEN) against the sandbox's API."""

    def call(method: str, path: str, body=None, *, token: str | None = TOKEN, raw=None):
        headers = {} if token is None else {"gestok-client-token": token}
        kwargs = {"headers": headers}
        if raw is not None or body is not None:
            kwargs["data"] = raw if raw is not None else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(client, method.lower())(f"{API}{path}", **kwargs)

    return call


@pytest.fixture
def sent(monkeypatch):
    """Capture the sandbox's webhooks instead of sending them."""
    deliveries = []

    def fake_post(url, *, content, headers, timeout):
        deliveries.append({"url": url, "body": content, "headers": headers, "timeout": timeout})
        return httpx.Response(200, json={"received": True})

    monkeypatch.setattr(services.httpx, "post", fake_post)
    return deliveries


@pytest.fixture
def finished(account):
    return services.onboarding_create(account, "clean", seed=1)


def create_body(**overrides):
    return {"customId": "customer-0001", "webhook": WEBHOOK, "lang": "ENG", **overrides}


# ---------------------------------------------------------------- auth and errors


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "The gestok-client-token header is required."),
        ("", "The gestok-client-token header is required."),
        ("nope", "Invalid client token."),
    ],
)
def test_a_missing_or_unknown_token_is_401(api, finished, token, message):
    response = api("GET", f"/integrations/{finished.id}/result", token=token)
    assert assert_error(response, 401, "Unauthorized") == message
    response = api("POST", "/integrations", create_body(), token=token)
    assert_error(response, 401, "Unauthorized")
    assert not Onboarding.objects.exclude(pk=finished.pk).exists()


def test_an_unknown_onboarding_is_404(api, account):
    message = assert_error(api("GET", "/integrations/zzzzzzzzzzzzz/result"), 404, "Not Found")
    assert message == "Onboarding zzzzzzzzzzzzz not found."


def test_another_clients_onboarding_is_404(api, account):
    other = services.account_get_or_create("other-token")
    foreign = services.onboarding_create(other, "clean", with_images=False)
    assert_error(api("GET", f"/integrations/{foreign.id}/result"), 404, "Not Found")
    assert_error(api("GET", f"/integrations/{foreign.id}/evidences"), 404, "Not Found")


def test_an_unknown_path_is_404_with_the_error_body(api, account):
    message = assert_error(api("GET", "/integrations"), 404, "Not Found")
    assert message == "Cannot GET /management/integrations"
    assert_error(api("GET", "/nothing/here"), 404, "Not Found")


def test_a_write_to_an_unknown_path_is_logged_as_rejected(api, finished):
    response = api("PUT", f"/integrations/{finished.id}/decision", {"status": "APPROVED"})
    assert assert_error(response, 404, "Not Found").startswith("Cannot PUT /management/")
    call = ReceivedCall.objects.get()
    assert (call.method, call.outcome, call.response_status) == ("PUT", "rejected", 404)
    assert call.body == {"status": "APPROVED"}
    assert call.account.client_token == TOKEN


def test_an_unrouted_method_on_a_known_path_is_404(api, finished):
    assert_error(api("DELETE", f"/integrations/{finished.id}/result"), 404, "Not Found")


# ---------------------------------------------------------------- POST /integrations


def test_creation_answers_201_with_the_url_and_sends_created(api, account, sent, client):
    response = api(
        "POST",
        "/integrations",
        create_body(phoneStep=True, phoneCountryCode="+34", phone="600111222"),
    )
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["onboardingId", "url", "status"]
    assert body["status"] == "CREATED"
    onboarding = Onboarding.objects.get(pk=body["onboardingId"])
    assert len(onboarding.id) == 13 and onboarding.id.isalnum()
    assert onboarding.custom_id == "customer-0001" and onboarding.webhook == WEBHOOK
    assert onboarding.request["phoneStep"] is True
    assert body["url"] == f"http://testserver{BASE}/onboarding/{onboarding.id}"
    page = client.get(body["url"].removeprefix("http://testserver"))
    assert page.status_code == 200 and onboarding.id in page.content.decode()
    # the document: CREATED is sent when the URL is fetched
    (delivery,) = sent
    assert delivery["url"] == WEBHOOK
    assert json.loads(delivery["body"]) == {
        "onboardingId": onboarding.id,
        "customId": "customer-0001",
        "result": "CREATED",
    }
    assert "X-Signature" not in delivery["headers"]  # unsigned, as documented
    call = ReceivedCall.objects.get()
    assert (call.outcome, call.response_status, call.onboarding_id) == (
        "applied",
        201,
        onboarding.id,
    )
    assert call.headers["gestok-client-token"] == f"{TOKEN[:4]}…"  # never the whole token


def test_a_repeat_for_the_same_custom_id_answers_the_same_onboarding(api, account, sent):
    first = api("POST", "/integrations", create_body()).json()
    again = api("POST", "/integrations", create_body(lang="ENG"))
    assert again.status_code == 200
    assert again.json() == first  # still CREATED: the same url
    assert Onboarding.objects.count() == 1

    onboarding = Onboarding.objects.get()
    services.onboarding_advance(onboarding, "INPROCESS", with_images=False)
    started = api("POST", "/integrations", create_body())
    assert started.status_code == 200
    assert started.json() == {"onboardingId": onboarding.id, "url": None, "status": "INPROCESS"}
    outcomes = list(ReceivedCall.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["applied", "replay", "replay"]
    assert len(sent) == 1  # a repeat sends nothing


def test_the_same_custom_id_of_another_client_is_another_onboarding(api, account, sent):
    services.account_get_or_create("other-token")
    mine = api("POST", "/integrations", create_body()).json()
    theirs = api("POST", "/integrations", create_body(), token="other-token").json()
    assert mine["onboardingId"] != theirs["onboardingId"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "customId must be a non-empty string"),
        ({"customId": ""}, "customId must be a non-empty string"),
        ({"customId": "x" * 101}, "customId must be shorter"),
        ({"customId": "c", "webhook": "ftp://x"}, "webhook must be an URL"),
        ({"customId": "c", "webhook": 3}, "webhook must be an URL"),
        ({"customId": "c", "lang": "ESP"}, "lang must be one of the following values: ENG"),
        ({"customId": "c", "phoneStep": "yes"}, "phoneStep must be a boolean"),
        ({"customId": "c", "phoneStep": True}, "required when phoneStep is true"),
        ({"customId": "c", "phoneCountryCode": "34"}, "phoneCountryCode must be"),
        ({"customId": "c", "phone": "12ab"}, "phone must be a valid phone number"),
        ({"customId": "c", "acceptations": {}}, "acceptations must be an array"),
        ({"customId": "c", "acceptations": [{"text": "x"}]}, "acceptations.0 must have"),
        ({"customId": "c", "redirectUrl": {"type": 5}}, "redirectUrl.type must be"),
        ({"customId": "c", "redirectUrl": {"type": True}}, "redirectUrl.type must be"),
        ({"customId": "c", "redirectUrl": {"type": 1, "waitingTime": -1}}, "waitingTime"),
    ],
)
def test_a_bad_creation_body_is_400_with_every_problem_and_creates_nothing(
    api, account, body, fragment
):
    response = api("POST", "/integrations", body)
    messages = assert_error(response, 400, "Bad Request")
    assert isinstance(messages, list)
    assert any(fragment in m for m in messages), messages
    assert not Onboarding.objects.exists()
    assert ReceivedCall.objects.get().outcome == "rejected"


@pytest.mark.parametrize(
    ("raw", "message"), [(b"{nope", "Malformed JSON"), (b"[]", "JSON object"), (b"  ", "required")]
)
def test_an_unreadable_creation_body_is_400(api, account, raw, message):
    response = api("POST", "/integrations", raw=raw)
    assert message in assert_error(response, 400, "Bad Request")


def test_the_documented_example_body_is_accepted_with_eng(api, account, sent):
    body = {
        "customId": "string",
        "webhook": WEBHOOK,
        "lang": "ENG",
        "phoneCountryCode": "+34",
        "phone": "600000000",
        "phoneStep": True,
        "acceptations": [{"mandatory": True, "text": "string"}],
        "redirectUrl": {"type": 1, "url": "string", "waitingTime": 0},
    }
    assert api("POST", "/integrations", body).status_code == 201


# ---------------------------------------------------------------- the result


def test_the_result_has_the_documented_shape(api, finished):
    response = api("GET", f"/integrations/{finished.id}/result")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == RESULT_KEYS
    assert (body["status"], body["onboardingId"]) == ("FINISHED", finished.id)
    process = body["processStatus"]
    assert set(process) == {"score", "steps", "startedAt", "finishedAt", "errorEvent"}
    assert set(process["steps"]) == {"acceptation", "ocr", "biometry", "sms"}
    assert set(process["startedAt"]) == {"date", "timestamp"}
    assert process["errorEvent"] is None
    assert set(body["evidences"]) == {
        "fullVideo",
        "biometryBlink",
        "biometrySmile",
        "idDocumentFront",
        "idDocumentReverse",
        "biometryTargetImage",
    }
    assert body["evidences"]["idDocumentFront"].startswith(f"{finished.id}-")
    ocr = body["ocr"]
    assert set(ocr) == {"types", "fields", "images", "authenticity", "validations"}
    assert {"name", "sources", "value", "validity_status", "status"} <= set(ocr["fields"][0])
    assert ocr["images"][0]["name"] == "PORTRAIT"
    Image.open(io.BytesIO(__import__("base64").b64decode(ocr["images"][0]["value"]))).verify()
    assert set(body["biometry"]) == {"score", "head", "blink", "smile"}
    assert [log["code"] for log in body["logs"]][-1] == "PROCESS_FINISHED_SUCCESSFULLY"
    assert set(body["userAgent"]) == {"os", "device", "address", "browser"}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_builds_with_its_status(account, scenario):
    onboarding = services.onboarding_create(account, scenario, seed=3)
    assert onboarding.status == STATUS_OF[scenario]
    roles = set(onboarding.files.values_list("role", flat=True))
    assert roles == set(onboarding.result["evidences"])


def test_scenario_contents(account):
    def make(scenario):
        return services.onboarding_create(account, scenario, seed=5, with_images=False).result

    expired = make("failed_validations")["ocr"]
    assert {v["name"] for v in expired["validations"] if not v["value"]} == {
        "OVERALL",
        "DOCUMENT_NOT_EXPIRED",
    }
    assert make("ocr_error")["processStatus"]["errorEvent"] == "OCR_ERROR"
    assert make("low_score")["processStatus"]["score"] < 60
    rejected = make("rejected")
    assert rejected["processStatus"]["steps"]["biometry"] is False
    assert rejected["biometry"]["blink"]["success"] is False
    created = make("created")
    assert created["logs"] == [] and created["ocr"] is None and created["evidences"] == {}
    assert make("timeout")["processStatus"]["errorEvent"] == "TIME_EXPIRED"
    assert make("incompleted")["biometry"] is None
    assert "types" in make("passport")["ocr"]


def test_a_seed_makes_content_reproducible_but_ids_unique(account):
    one = services.onboarding_create(account, "clean", seed=9, with_images=False)
    two = services.onboarding_create(account, "clean", seed=9, with_images=False)
    assert one.id != two.id
    assert one.result["ocr"] == two.result["ocr"]


def test_an_unknown_scenario_or_archive_is_refused(account):
    with pytest.raises(ValueError, match="unknown scenario"):
        services.onboarding_create(account, "nonsense")
    with pytest.raises(ValueError, match="unknown archive"):
        services.onboarding_create(account, "clean", archive="nonsense")


# ---------------------------------------------------------------- the evidence ZIP


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_evidences_zip_holds_every_named_file(api, finished, method):
    response = api(method, f"/integrations/{finished.id}/evidences")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f'filename="{finished.id}-evidences.zip"' in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        names = set(zf.namelist())
        assert set(finished.result["evidences"].values()) | {f"{finished.id}-OCR.json"} == names
        for role in ("idDocumentFront", "biometryBlink", "biometryTargetImage"):
            with Image.open(io.BytesIO(zf.read(finished.result["evidences"][role]))) as image:
                assert image.format == "JPEG"
        assert zf.read(finished.result["evidences"]["fullVideo"]).startswith(b"\x1aE\xdf\xa3")


def test_an_onboarding_without_files_has_an_empty_zip(api, account):
    created = services.onboarding_create(account, "created")
    response = api("GET", f"/integrations/{created.id}/evidences")
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        assert zf.namelist() == []


@pytest.mark.parametrize(
    ("archive", "check"),
    [
        ("traversal", lambda zf: any(n.startswith("../") for n in zf.namelist())),
        ("absolute", lambda zf: any(n.startswith("/") for n in zf.namelist())),
        (
            "symlink",
            lambda zf: any((i.external_attr >> 16) & 0o170000 == 0o120000 for i in zf.infolist()),
        ),
        ("bomb", lambda zf: max(i.file_size for i in zf.infolist()) == services.BOMB_BYTES),
        ("too_many", lambda zf: len(zf.infolist()) > 50),
    ],
)
def test_archive_attacks_are_what_they_say(api, account, archive, check):
    onboarding = services.onboarding_create(account, "clean", seed=2, archive=archive)
    response = api("GET", f"/integrations/{onboarding.id}/evidences")
    assert response.status_code == 200 and len(response.content) < 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        assert check(zf)


def test_a_corrupt_archive_is_not_a_zip(api, account):
    onboarding = services.onboarding_create(account, "clean", archive="corrupt", with_images=False)
    content = api("GET", f"/integrations/{onboarding.id}/evidences").content
    assert not zipfile.is_zipfile(io.BytesIO(content))


# ---------------------------------------------------------------- moving on, webhooks


def test_advance_walks_the_documented_states_and_sends_each(account, sent):
    services.account_configure_webhook(account, WEBHOOK)
    onboarding = services.onboarding_create(account, "created")
    for to in ("INPROCESS", "FINISHED"):
        onboarding = services.onboarding_advance(onboarding, to, scenario=None)
        services.notify(onboarding)
    assert onboarding.status == "FINISHED" and onboarding.scenario == "clean"
    assert onboarding.files.count() == 6
    assert [json.loads(d["body"])["result"] for d in sent] == ["INPROCESS", "FINISHED"]
    assert Notification.objects.filter(response_status=200).count() == 2


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("created", "FINISHED"),
        ("clean", "INPROCESS"),
        ("timeout", "FINISHED"),
        ("created", "CREATED"),
    ],
)
def test_impossible_moves_are_refused(account, start, to):
    onboarding = services.onboarding_create(account, start, with_images=False)
    with pytest.raises(services.TransitionRefused):
        services.onboarding_advance(onboarding, to)


def test_a_finished_scenario_must_end_in_finished(account):
    onboarding = services.onboarding_create(account, "in_process", with_images=False)
    with pytest.raises(ValueError, match="does not end in"):
        services.onboarding_advance(onboarding, "FINISHED", scenario="timeout")


def test_a_failed_delivery_is_recorded_not_raised(account, monkeypatch):
    services.account_configure_webhook(account, WEBHOOK)
    onboarding = services.onboarding_create(account, "clean", with_images=False)

    def refuse(*args, **kwargs):
        raise httpx.ConnectError("refused")

    monkeypatch.setattr(services.httpx, "post", refuse)
    notification = services.notify(onboarding)
    assert notification.response_status is None and notification.error == "ConnectError"
    assert not notification.delivered


def test_no_webhook_no_delivery(account):
    onboarding = services.onboarding_create(account, "clean", with_images=False)
    assert services.notify(onboarding).error == "no webhook URL for this onboarding"


def test_the_webhook_secret_is_masked_for_display():
    assert mask_webhook("http://k/webhooks/0b7c-11/s3cr3t/") == "http://k/webhooks/0b7c-11/…/"


# ---------------------------------------------------------------- faults


def test_fail_next_answers_503_then_recovers(api, finished, account):
    services.account_set_faults(account, fail_next=2, retry_after=1)
    for _ in range(2):
        response = api("GET", f"/integrations/{finished.id}/result")
        assert_error(response, 503, "Service Unavailable")
        assert response["Retry-After"] == "1"
    assert api("GET", f"/integrations/{finished.id}/result").status_code == 200
    account.refresh_from_db()
    assert (account.fault_next, account.faults_served) == (0, 2)


def test_down_until_cleared_and_faulted_writes_logged(api, account):
    services.account_set_faults(account, down=True)
    assert_error(api("POST", "/integrations", create_body()), 503, "Service Unavailable")
    assert_error(api("GET", "/integrations/x/result"), 503, "Service Unavailable")
    assert ReceivedCall.objects.get().outcome == "fault"
    assert not Onboarding.objects.exists()
    services.account_clear_faults(account)
    assert api("GET", "/integrations/x/result").status_code == 404


def test_delay_slows_every_answer(api, finished, account):
    import time

    services.account_set_faults(account, delay_ms=150)
    started = time.monotonic()
    api("GET", f"/integrations/{finished.id}/result")
    assert time.monotonic() - started >= 0.15


def test_fault_settings_are_validated(account):
    with pytest.raises(ValueError):
        services.account_set_faults(account, fail_next=-1)
    with pytest.raises(ValueError):
        services.account_set_faults(account, delay_ms=10**6)
    with pytest.raises(ValueError):
        services.account_set_faults(account, retry_after=-3)


# ---------------------------------------------------------------- control and page


def control(client, path: str, body=None, method="post"):
    if method == "get":
        return client.get(f"{BASE}/_control/{path}")
    return client.post(
        f"{BASE}/_control/{path}", json.dumps(body or {}), content_type="application/json"
    )


def test_control_endpoints(client, db, sent):
    assert (
        control(client, "accounts", {"client_token": "ctl-token", "name": "Ctl"}).status_code == 200
    )
    hook = control(client, "webhook", {"client_token": "ctl-token", "url": WEBHOOK}).json()
    assert hook["default_webhook"] == "http://kycdash.test/webhooks/0b7c/…/"
    faults = control(
        client, "faults", {"client_token": "ctl-token", "fail_next": 1, "retry_after": 2}
    )
    assert faults.json()["faults"]["fail_next"] == 1
    cleared = control(client, "faults", {"client_token": "ctl-token", "clear": True})
    assert cleared.json()["faults"] == {
        "fail_next": 0,
        "down": False,
        "delay_ms": 0,
        "retry_after": None,
        "served": 0,
    }

    made = control(
        client,
        "onboardings",
        {"client_token": "ctl-token", "scenario": "created", "custom_id": "c-1", "notify": True},
    ).json()
    assert made["status"] == "CREATED" and made["custom_id"] == "c-1"
    assert made["notification"]["response_status"] == 200
    moved = control(
        client, f"onboardings/{made['onboarding_id']}/advance", {"to": "INPROCESS"}
    ).json()
    assert (
        moved["status"] == "INPROCESS" and moved["notification"]["payload"]["result"] == "INPROCESS"
    )
    done = control(
        client,
        f"onboardings/{made['onboarding_id']}/advance",
        {"to": "FINISHED", "scenario": "ocr_error", "with_images": False},
    )
    assert done.json()["scenario"] == "ocr_error"
    refused = control(client, f"onboardings/{made['onboarding_id']}/advance", {"to": "INPROCESS"})
    assert refused.status_code == 409
    again = control(client, f"onboardings/{made['onboarding_id']}/notify").json()
    assert again["result"] == "FINISHED"
    assert [json.loads(d["body"])["result"] for d in sent] == [
        "CREATED",
        "INPROCESS",
        "FINISHED",
        "FINISHED",
    ]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("accounts", {}, 400),
        ("faults", {"client_token": "unknown"}, 404),
        ("faults", {"client_token": "ctl", "fail_next": True}, 400),
        ("faults", {"client_token": "ctl", "down": 1}, 400),
        ("onboardings", {"client_token": "ctl", "scenario": "nope"}, 400),
        ("onboardings", {"client_token": "ctl", "scenario": "clean", "archive": "x"}, 400),
        ("onboardings/none/advance", {"to": "INPROCESS"}, 404),
    ],
)
def test_control_refuses_bad_input(client, db, path, body, status):
    services.account_get_or_create("ctl")
    assert control(client, path, body).status_code == status


def test_control_refuses_a_taken_custom_id_and_malformed_json(client, account):
    services.onboarding_create(account, "created", custom_id="taken")
    taken = control(
        client, "onboardings", {"client_token": TOKEN, "scenario": "clean", "custom_id": "taken"}
    )
    assert taken.status_code == 409
    bad = client.post(f"{BASE}/_control/accounts", "{x", content_type="application/json")
    assert bad.status_code == 400
    assert client.get(f"{BASE}/_control/accounts").status_code == 405


def test_received_log_as_json_filtered_by_onboarding(client, api, account, sent):
    first = api("POST", "/integrations", create_body()).json()["onboardingId"]
    api("POST", "/integrations", create_body(customId="customer-0002"))
    response = client.get(
        f"{BASE}/_control/received", {"onboardingId": first, "client_token": TOKEN}
    )
    calls = response.json()["calls"]
    assert [c["onboarding_id"] for c in calls] == [first]
    assert calls[0]["body"]["customId"] == "customer-0001"
    assert calls[0]["response_body"]["onboardingId"] == first


def test_control_and_pages_are_off_when_sandboxes_are_disabled(client, settings, finished):
    settings.SANDBOXES_ENABLED = False
    assert control(client, "accounts", {"client_token": "x"}).status_code == 404
    assert client.get(f"{BASE}/").status_code == 404
    assert client.get(f"{BASE}/onboarding/{finished.id}").status_code == 404


def test_the_page_shows_clients_onboardings_the_log_and_webhooks(client, api, account, sent):
    services.account_configure_webhook(account, WEBHOOK)
    flagged = services.onboarding_create(account, "ocr_error", seed=4, archive="traversal")
    api("POST", "/integrations", create_body())
    services.notify(flagged)
    page = client.get(f"{BASE}/")
    assert page.status_code == 200
    html = page.content.decode()
    for text in (
        "Test bank",
        f"{TOKEN[:4]}…",
        flagged.id,
        "OCR_ERROR",
        "Member named ../…",
        "POST /management/integrations",
        "Applied",
        "http://kycdash.test/webhooks/0b7c/…/",
    ):
        assert text in html, text
    assert TOKEN not in html
    assert "the-secret" not in html
    image = client.get(f"{BASE}/files/{flagged.id}/idDocumentFront")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
