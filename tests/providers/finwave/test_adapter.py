"""FinwaveAdapter normalization and evidence, from stored results, HTTP mocked at the client."""

from __future__ import annotations

import base64
import datetime as dt
import logging

import pytest

from providers.base import (
    Capability,
    CheckStatus,
    EvidenceKind,
    ProviderError,
    ProviderNotFound,
    SessionStatus,
    WriteBackRequest,
)
from providers.finwave.adapter import (
    FinwaveAdapter,
    map_status,
    normalize,
    parse_date,
    person_from_ocr,
)
from providers.finwave.client import EvidenceArchiveRejected
from providers.registry import adapter_for
from tests.providers.finwave.conftest import (
    evidence_zip,
    load_result,
    make_zip,
    symlink_member,
    tiny_jpeg,
)


def checks_by_key(snapshot):
    return {check.key: check for check in snapshot.checks}


def snap(name: str, **kwargs):
    result = load_result(name)
    return normalize(result["onboardingId"], result=result, **kwargs)


# ---------------------------------------------------------------- the adapter's shape


def test_registered_under_finwave_with_webhook_and_evidence_only(connection):
    adapter = adapter_for(connection)
    assert isinstance(adapter, FinwaveAdapter)
    assert adapter.label == "Finwave Digital Onboarding"
    assert adapter.capabilities == {Capability.WEBHOOK, Capability.EVIDENCE}
    assert adapter.credential_fields == ("client_token",)
    assert adapter.sensitive_parameters == ("client_token",)
    assert adapter.webhook_secret_header == ""
    for queue in ("status", "antifraud", "poa"):
        assert not adapter.supports_write_back(queue)


@pytest.mark.parametrize("queue", ["status", "antifraud", "poa"])
def test_decisions_stay_local(mocked_adapter, queue):
    adapter, fake = mocked_adapter("failed_validations")
    request = WriteBackRequest(
        external_id="Fv3kQm9XwL2aB",
        queue=queue,
        outcome="approve",
        reason="verified",
        note="",
        reviewer="alice",
        idempotency_key="k",
    )
    result = adapter.write_decision(request)
    assert result.supported is False
    assert fake.requests == []


def test_there_is_no_listing(connection):
    with pytest.raises(NotImplementedError, match="no listing"):
        list(FinwaveAdapter(connection).iter_session_ids())


# ---------------------------------------------------------------- status mapping


@pytest.mark.parametrize(
    ("status", "failed_step", "findings", "expected"),
    [
        ("CREATED", False, False, SessionStatus.PENDING),
        ("INPROCESS", False, False, SessionStatus.IN_PROGRESS),
        ("INCOMPLETED", False, True, SessionStatus.FAILED),
        ("TIMEOUT", False, True, SessionStatus.EXPIRED),
        ("FINISHED", False, False, SessionStatus.APPROVED),
        ("FINISHED", False, True, SessionStatus.NEEDS_REVIEW),
        ("FINISHED", True, True, SessionStatus.REJECTED),
        ("FINISHED", True, False, SessionStatus.REJECTED),
        ("ARCHIVED", False, False, SessionStatus.IN_PROGRESS),
    ],
)
def test_map_status(status, failed_step, findings, expected):
    assert map_status(status, failed_step=failed_step, findings=findings) == expected


@pytest.mark.parametrize(
    ("name", "status", "provider_status"),
    [
        ("clean", SessionStatus.APPROVED, "FINISHED"),
        ("passport", SessionStatus.APPROVED, "FINISHED"),
        ("failed_validations", SessionStatus.NEEDS_REVIEW, "FINISHED"),
        ("low_score", SessionStatus.NEEDS_REVIEW, "FINISHED"),
        ("ocr_error", SessionStatus.NEEDS_REVIEW, "FINISHED / OCR_ERROR"),
        ("rejected", SessionStatus.REJECTED, "FINISHED"),
        ("created", SessionStatus.PENDING, "CREATED"),
        ("in_process", SessionStatus.IN_PROGRESS, "INPROCESS"),
        ("incompleted", SessionStatus.FAILED, "INCOMPLETED / USER_LEAVES_PROCESS"),
        ("timeout", SessionStatus.EXPIRED, "TIMEOUT / TIME_EXPIRED"),
    ],
)
def test_every_stored_result_maps_as_documented(name, status, provider_status):
    snapshot = snap(name)
    assert snapshot.status == status
    assert snapshot.provider_status == provider_status
    assert snapshot.review_requested is (status == SessionStatus.NEEDS_REVIEW)
    assert snapshot.antifraud is None and snapshot.poa is None and not snapshot.watchlist_hit


def test_clean_is_approved_with_scores_and_no_review():
    snapshot = snap("clean")
    assert snapshot.external_id == "i8x5CWpwU0AvQ"
    assert snapshot.review_reason == ""
    assert snapshot.overall_score == 92.1
    assert snapshot.scores == {"overall": 92.1, "liveness": pytest.approx(96.287198)}
    checks = checks_by_key(snapshot)
    assert checks["validations.OVERALL"].status == CheckStatus.OK
    assert checks["authenticity.PATTERN_CHECKS"].status == CheckStatus.OK
    assert checks["biometry.blink"].status == CheckStatus.OK
    assert checks["steps.sms"].status == CheckStatus.OK  # a phone step was asked for
    assert checks["acceptations.0"].status == CheckStatus.OK
    assert checks["acceptations.1"].status == CheckStatus.WARN  # optional, not accepted
    assert checks["acceptations.1"].label == "I agree to receive commercial communications."
    assert "process.errorEvent" not in checks


def test_clean_times_come_from_the_timestamps():
    snapshot = snap("clean")
    assert snapshot.started_at == dt.datetime(2025, 3, 11, 9, 30, tzinfo=dt.UTC)
    assert snapshot.updated_at == dt.datetime(2025, 3, 11, 9, 33, 47, tzinfo=dt.UTC)


def test_person_data_from_the_ocr_fields():
    person = snap("clean").person
    assert person.full_name == "DIEGO LOPEZ ROMERO"
    assert (person.first_name, person.last_name) == ("DIEGO", "LOPEZ ROMERO")
    assert person.birth_date == dt.date(1967, 4, 25)
    assert person.expiry_date == dt.date(2033, 12, 12)
    assert person.document_type == "IDCARD"
    assert person.issuing_country == "ESP" and person.nationality == "ESP"
    assert person.document_number
    assert person.address == "CALLE MAYOR 189, 46002 VALENCIA"
    # a field's confidence is its best source's probability
    assert person.confidences["first_name"] == 0.99
    assert person.confidences["full_name"] == 0.98  # the weaker of the two names


def test_a_passport_has_no_address_and_its_own_type():
    person = snap("passport").person
    assert person.document_type == "PASSPORT"
    assert person.address == ""
    assert person.issuing_country == "PRT"


def test_failed_validations_ask_for_review_with_the_findings():
    snapshot = snap("failed_validations")
    assert snapshot.review_reason == (
        "validations failed: OVERALL, DOCUMENT_NOT_EXPIRED; authenticity checks failed: "
        "PHOTO_CHECKS; score 48.7 under 60"
    )
    checks = checks_by_key(snapshot)
    assert checks["validations.OVERALL"].status == CheckStatus.FAIL
    assert checks["validations.OVERALL"].provider_wording == "false"
    assert checks["validations.DOCUMENT_NOT_EXPIRED"].status == CheckStatus.FAIL
    assert checks["authenticity.PHOTO_CHECKS"].status == CheckStatus.FAIL
    expiry = checks["ocr.DATE_OF_EXPIRY"]
    assert expiry.status == CheckStatus.FAIL
    assert expiry.provider_wording == "validity_status=false, status=true"
    assert expiry.value == ""  # the value is personal data: it lives in person, not checks
    assert snapshot.person.expiry_date == dt.date(2024, 2, 11)


def test_a_low_score_alone_asks_for_review():
    snapshot = snap("low_score")
    assert snapshot.review_reason == "score 51.9 under 60"
    assert all(c.status in (CheckStatus.OK, CheckStatus.WARN) for c in snapshot.checks)


def test_the_review_threshold_is_a_connection_option(connection, mocked_adapter):
    connection.options = {"review_below_score": 50}
    adapter, _ = mocked_adapter("low_score")
    snapshot = adapter.fetch_snapshot("Ls8RnD4pYt6cE", with_evidence=False)
    assert snapshot.status == SessionStatus.APPROVED and not snapshot.review_requested
    assert snapshot.overall_score == 51.9  # the project's own minimum still sees it


def test_an_error_event_is_a_failed_check_and_the_first_reason():
    snapshot = snap("ocr_error")
    assert snapshot.review_reason == "OCR_ERROR: Error in the OCR process"
    check = checks_by_key(snapshot)["process.errorEvent"]
    assert (check.status, check.group, check.value) == (CheckStatus.FAIL, "process", "OCR_ERROR")
    assert check.provider_wording == "OCR_ERROR"
    assert check.label == "Error in the OCR process"
    assert checks_by_key(snapshot)["ocr.ADDRESS"].status == CheckStatus.FAIL
    assert snapshot.person.address == ""  # unreadable


def test_a_failed_step_rejects_without_asking_for_review():
    snapshot = snap("rejected")
    assert not snapshot.review_requested
    assert snapshot.review_reason.startswith(
        "steps failed: biometry; liveness failed: blink, smile"
    )
    checks = checks_by_key(snapshot)
    assert checks["steps.biometry"].status == CheckStatus.FAIL
    assert checks["biometry.smile"].status == CheckStatus.FAIL
    assert checks["biometry.head"].status == CheckStatus.OK
    assert snapshot.overall_score == 25.5


def test_the_error_event_of_an_unfinished_onboarding_is_shown_but_asks_nothing():
    snapshot = snap("incompleted")
    assert snapshot.review_reason == "USER_LEAVES_PROCESS: The user abandons the process"
    assert not snapshot.review_requested
    assert snapshot.overall_score is None
    assert "overall" not in snapshot.scores  # the placeholder 0 of an unfinished process
    assert checks_by_key(snapshot)["process.errorEvent"].status == CheckStatus.FAIL
    assert snapshot.person.full_name  # the OCR was done before the user left


def test_a_created_onboarding_is_pending_with_almost_nothing():
    snapshot = snap("created")
    assert snapshot.person.full_name == ""
    assert snapshot.scores == {} and snapshot.overall_score is None
    assert snapshot.started_at is None and snapshot.updated_at is None
    assert {c.group for c in snapshot.checks} == {"acceptations"}  # null steps are left out


def test_timeout_updated_at_is_the_expiry_log():
    snapshot = snap("timeout")
    assert snapshot.updated_at == dt.datetime(2025, 3, 11, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("mutate", "finding"),
    [
        (lambda r: r["ocr"].update(validations=[]), "no OCR validation reported"),
        (lambda r: r.update(ocr=None), "no OCR validation reported"),
        (
            lambda r: r["acceptations"][0].update(accepted=False),
            "a mandatory acceptation was not accepted",
        ),
        (lambda r: r["biometry"]["head"].update(success=False), "liveness failed: head"),
        (
            lambda r: r["processStatus"].update(errorEvent="SMS_EXCEEDED"),
            "SMS_EXCEEDED: Maximum number of SMS messages exceeded",
        ),
        (
            lambda r: r["processStatus"].update(errorEvent="NEW_ERROR"),
            "NEW_ERROR: error event",
        ),
    ],
)
def test_each_finding_turns_a_clean_result_into_a_review(mutate, finding):
    result = load_result("clean")
    mutate(result)
    snapshot = normalize("i8x5CWpwU0AvQ", result=result)
    assert snapshot.status == SessionStatus.NEEDS_REVIEW
    assert finding in snapshot.review_reason


def test_a_long_review_reason_is_cut():
    result = load_result("clean")
    result["ocr"]["validations"] = [{"name": f"CHECK_{i:03d}", "value": False} for i in range(80)]
    reason = normalize("x", result=result).review_reason
    assert len(reason) == 300 and reason.endswith("…")


@pytest.mark.parametrize(
    "result",
    [
        {},
        {"status": None, "processStatus": "nonsense", "ocr": [], "biometry": 3, "logs": "x"},
        {"status": "FINISHED", "processStatus": {"score": "NaN", "steps": []}, "acceptations": {}},
        {"status": "FINISHED", "ocr": {"fields": [1, {"name": 2}, {"name": "NAME"}]}},
    ],
)
def test_malformed_results_do_not_crash(result):
    snapshot = normalize("x", result=result)
    assert snapshot.status in dict(SessionStatus.CHOICES)


def test_raw_keeps_the_result_without_the_base64_images():
    snapshot = snap("clean")
    raw = snapshot.raw["result"]
    assert raw["onboardingId"] == "i8x5CWpwU0AvQ"
    assert raw["ocr"]["images"][0]["value"].endswith("base64 characters>")
    assert load_result("clean")["ocr"]["images"][0]["value"].startswith("/9j/")


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("25/04/1967", dt.date(1967, 4, 25)),
        ("25.04.1967", dt.date(1967, 4, 25)),
        ("25-04-1967", dt.date(1967, 4, 25)),
        ("1967-04-25", dt.date(1967, 4, 25)),
        ("31/02/1967", None),
        ("April 1967", None),
        ("", None),
    ],
)
def test_parse_date(text, date):
    assert parse_date(text) == date


def test_person_takes_the_first_present_alias_and_the_best_type():
    ocr = {
        "types": [
            {"name": "IDCARD", "probability": 0.3, "country": "FRA"},
            {"name": "PASSPORT", "probability": 0.9, "country": "ITA"},
        ],
        "fields": [
            {"name": "GIVEN_NAMES", "value": "ANNA"},
            {"name": "LAST_NAME", "value": "  ROSSI  "},
            {"name": "BIRTH_DATE", "value": "1990-12-28", "sources": [{"probability": 2}]},
        ],
    }
    person = person_from_ocr(ocr)
    assert (person.full_name, person.last_name) == ("ANNA ROSSI", "ROSSI")
    assert person.birth_date == dt.date(1990, 12, 28)
    assert "birth_date" not in person.confidences  # 2 is no probability
    assert (person.document_type, person.issuing_country) == ("PASSPORT", "ITA")


# ---------------------------------------------------------------- fetching, evidence


def test_fetch_snapshot_reads_the_result_then_the_zip(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    snapshot = adapter.fetch_snapshot("i8x5CWpwU0AvQ")
    assert fake.paths() == [
        "GET /integrations/i8x5CWpwU0AvQ/result",
        "GET /integrations/i8x5CWpwU0AvQ/evidences",
    ]
    kinds = sorted(e.kind for e in snapshot.evidence)
    assert kinds == sorted(
        [
            EvidenceKind.FRONT,
            EvidenceKind.BACK,
            EvidenceKind.SELFIE,
            EvidenceKind.VIDEO_FRAME,
            EvidenceKind.VIDEO_FRAME,
            EvidenceKind.PORTRAIT,
        ]
    )
    by_ref = {e.external_ref: e for e in snapshot.evidence}
    assert by_ref["idDocumentFront"].filename == "i8x5CWpwU0AvQ-174168540-FRONT.jpg"
    assert by_ref["biometryBlink"].kind == EvidenceKind.VIDEO_FRAME
    assert "fullVideo" not in by_ref
    portrait = by_ref["ocr.PORTRAIT"]
    assert portrait.content == base64.b64decode(load_result("clean")["ocr"]["images"][0]["value"])
    assert snapshot.test_mode is False


def test_without_evidence_no_zip_is_downloaded(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    assert adapter.fetch_snapshot("i8x5CWpwU0AvQ", with_evidence=False).evidence == ()
    assert len(fake.requests) == 1


def test_a_result_naming_no_files_downloads_no_zip(mocked_adapter):
    adapter, fake = mocked_adapter("created")
    assert adapter.fetch_snapshot("Cr6YbM3tPf9hH").evidence == ()
    assert fake.paths() == ["GET /integrations/Cr6YbM3tPf9hH/result"]


def test_a_named_file_that_is_not_an_image_is_skipped(mocked_adapter, caplog):
    result = load_result("in_process")
    front = result["evidences"]["idDocumentFront"]
    adapter, _ = mocked_adapter(result, archive=make_zip([(front, b"<html>oops</html>")]))
    with caplog.at_level(logging.WARNING, logger="providers.finwave"):
        assert adapter.fetch_snapshot("Ip1ZaS5uQw8jK").evidence == ()
    assert "idDocumentFront is not an image" in caplog.text


def test_an_ocr_image_that_is_not_usable_is_skipped():
    from providers.finwave.adapter import ocr_image_evidence

    result = {
        "ocr": {
            "images": [
                {"name": "PORTRAIT", "value": "***"},
                {"name": "PORTRAIT", "value": base64.b64encode(b"plain text").decode()},
                {
                    "name": "SIGNATURE",
                    "value": "data:image/jpeg;base64," + base64.b64encode(tiny_jpeg()).decode(),
                },
                {"name": "UNKNOWN", "value": base64.b64encode(tiny_jpeg()).decode()},
            ]
        }
    }
    (signature,) = ocr_image_evidence(result)
    assert signature.kind == EvidenceKind.OTHER and signature.external_ref == "ocr.SIGNATURE"


@pytest.mark.parametrize(
    "hostile",
    [
        ("../../evil.jpg", b"x"),
        ("/abs/evil.jpg", b"x"),
        (symlink_member("link.jpg"), b"/etc/passwd"),
        ("X-BIG.bin", bytes(3 * 1024 * 1024)),
    ],
)
def test_a_hostile_zip_fails_the_whole_snapshot(mocked_adapter, hostile):
    result = load_result("clean")
    adapter, _ = mocked_adapter(result, archive=evidence_zip(result, extra=[hostile]))
    with pytest.raises(EvidenceArchiveRejected) as raised:
        adapter.fetch_snapshot("i8x5CWpwU0AvQ")
    assert not raised.value.retryable and raised.value.status_code == 200


def test_a_named_member_over_the_evidence_limit_fails_the_snapshot(mocked_adapter, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    result = load_result("in_process")
    front = result["evidences"]["idDocumentFront"]
    adapter, _ = mocked_adapter(result, archive=make_zip([(front, b"\xff\xd8\xff" + b"a" * 2000)]))
    with pytest.raises(EvidenceArchiveRejected, match="the limit is 1,000"):
        adapter.fetch_snapshot("Ip1ZaS5uQw8jK")


def test_a_result_for_another_onboarding_is_an_error(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    fake.onboarding_id = "askedFor00001"  # answers that id with i8x5CWpwU0AvQ's result
    with pytest.raises(ProviderError, match="another onboarding"):
        adapter.fetch_snapshot("askedFor00001")


def test_an_unknown_onboarding_is_not_found_with_finwaves_message(mocked_adapter):
    adapter, _ = mocked_adapter("clean")
    with pytest.raises(ProviderNotFound) as raised:
        adapter.fetch_snapshot("zzzzzzzzzzzzz")
    assert raised.value.message == "Cannot GET /management/integrations/zzzzzzzzzzzzz/result"


def test_test_mode_follows_the_sandbox_url(connection, mocked_adapter):
    connection.base_url = "http://127.0.0.1:8000/sandbox/finwave"
    adapter, _ = mocked_adapter("clean")
    assert adapter._test_mode is True
