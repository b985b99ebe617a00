"""KycapiAdapter: normalization from stored payloads, sync, webhooks registration, no
write-back (HTTP mocked at the client boundary)."""

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
    ProviderUnavailable,
    SessionStatus,
    WriteBackRequest,
)
from providers.kycapi.adapter import (
    KycapiAdapter,
    antifraud_from,
    evidence_types,
    last_activity,
    map_status,
    normalize,
)
from providers.kycapi.client import KycApiClient
from providers.registry import adapter_for
from tests.providers.kycapi.conftest import api_error, load_payloads, tiny_jpeg, token_answer

DL_FILES = {
    "driver_license_front": tiny_jpeg((10, 10, 10)),
    "driver_license_back": tiny_jpeg((20, 20, 20)),
    "selfie": tiny_jpeg((30, 30, 30)),
    "liveness_passive": tiny_jpeg((40, 40, 40)),
}


def checks_by_key(snapshot):
    return {check.key: check for check in snapshot.checks}


def from_payloads(name: str, **changes) -> dict:
    payloads = load_payloads(name)
    for part, values in changes.items():
        payloads[part] = {**payloads[part], **values}
    return payloads


def normalized(name: str, **changes):
    p = from_payloads(name, **changes)
    return normalize(
        p["session"]["session_id"],
        session=p["session"],
        tests=p["session_tests"],
        document=p["document"] or {},
        documents=p["documents"],
        ida_sessions=p["ida_sessions"],
    )


def test_registered_under_kycapi(connection):
    adapter = adapter_for(connection)
    assert isinstance(adapter, KycapiAdapter)
    assert adapter.label == "KYC API 2.10.15"
    assert adapter.credential_fields == ("client_id", "client_secret")
    assert adapter.sensitive_parameters == ("client_secret",)
    assert adapter.webhook_secret_header == "X-Webhook-Secret"
    assert adapter.session_event_types == frozenset({"idv.session.status_changed"})
    assert adapter.capabilities == {
        Capability.WEBHOOK,
        Capability.SYNC,
        Capability.EVIDENCE,
        Capability.REGISTER_WEBHOOK,
    }
    for queue in ("status", "antifraud", "poa"):
        assert not adapter.supports_write_back(queue)


# ---------------------------------------------------------------- normalization


def test_clean_is_approved_with_person_checks_related_sessions_and_all_evidence(mocked_adapter):
    adapter, fake = mocked_adapter("clean", DL_FILES)
    payloads = fake.payloads
    snapshot = adapter.fetch_snapshot(payloads["session"]["session_id"])

    assert snapshot.status == SessionStatus.APPROVED
    assert snapshot.provider_status == "complete / verified"
    assert snapshot.overall_score == 86.8 and snapshot.scores == {"overall": 86.8}
    assert not snapshot.review_requested and snapshot.review_reason == ""
    assert not snapshot.watchlist_hit
    assert snapshot.antifraud.result == "passed"
    assert snapshot.poa is None
    person = snapshot.person
    assert person.full_name == "GRACE DAVIS"
    assert (person.first_name, person.last_name) == ("GRACE", "DAVIS")
    assert person.birth_date == dt.date(1968, 11, 17)
    assert person.gender == "F"
    assert person.document_type == "driver_license"
    assert person.document_number == payloads["document"]["document_number"]
    assert person.issuing_country == "USA"
    assert person.expiry_date == dt.date.fromisoformat(payloads["document"]["expires_at"])
    document = payloads["document"]
    assert person.address == (
        f"{document['street']}, {document['city']}, {document['state']} {document['postal_code']}"
    )
    checks = checks_by_key(snapshot)
    assert all(
        checks[f"doc_front_{s}"].status == CheckStatus.OK
        for s in ("image_manipulation", "is_identity_document")
    )
    assert checks["dmv_status_e"].status == CheckStatus.OK
    assert checks["dmv_street_match"].status == CheckStatus.OK
    assert "dmv_middle_name_match" not in checks  # null: not checked
    assert checks["ofac_status_e"].status == CheckStatus.OK
    assert checks["verified"].status == CheckStatus.OK
    assert checks["name_crosscheck"].group == "crosscheck"
    assert checks["liveness_detected"].status == CheckStatus.OK
    (related,) = snapshot.related_sessions
    ida = payloads["ida_sessions"][0]
    assert related.external_id == ida["session_id"]
    assert related.relation == "reauthentication"
    assert related.status == "complete / authenticated"
    assert related.created_at == dt.datetime(2025, 3, 14, 12, 46, 2, tzinfo=dt.UTC)
    assert snapshot.started_at == dt.datetime(2025, 3, 14, 12, 0, tzinfo=dt.UTC)
    assert snapshot.updated_at == dt.datetime(2025, 3, 14, 12, 10, 2, tzinfo=dt.UTC)
    assert [(e.kind, e.external_ref, e.filename) for e in snapshot.evidence] == [
        (EvidenceKind.FRONT, "driver_license_front", "driver_license_front.jpg"),
        (EvidenceKind.BACK, "driver_license_back", "driver_license_back.jpg"),
        (EvidenceKind.SELFIE, "selfie", "selfie.jpg"),
        (EvidenceKind.VIDEO_FRAME, "liveness_passive", "liveness_passive.jpg"),
    ]
    assert snapshot.evidence[0].content == DL_FILES["driver_license_front"]
    assert snapshot.test_mode is False
    assert set(snapshot.raw) == {
        "session",
        "session_tests",
        "document",
        "documents",
        "ida_sessions",
    }
    # the identity's re-authentications were asked for by identity id
    assert fake.bodies("/ida/sessions/list")[0]["identity_id"] == payloads["session"]["identity_id"]


def test_dmv_mismatch_asks_for_review_naming_the_fields():
    snapshot = normalized("dmv_mismatch")
    assert snapshot.status == SessionStatus.NEEDS_REVIEW
    assert snapshot.provider_status == "complete / not verified"
    assert snapshot.review_requested
    assert snapshot.review_reason == "DMV check no_match: document expiration, last name"
    checks = checks_by_key(snapshot)
    assert checks["dmv_status_e"].status == CheckStatus.FAIL
    assert checks["dmv_last_name_match"].status == CheckStatus.FAIL
    assert checks["dmv_city_match"].status == CheckStatus.OK
    assert snapshot.antifraud.result == "passed"
    assert snapshot.person.document_type == "identification_card"


def test_dmv_not_found_without_field_results():
    snapshot = normalized(
        "dmv_mismatch",
        session={"dmv_status_e": "not_found"},
        session_tests={f"dmv_{f}_match": None for f in ("document_expiration", "last_name")},
    )
    assert snapshot.review_reason == "DMV check not_found"


def test_document_fraud_fails_antifraud_at_the_first_signal_with_all_in_the_detail():
    snapshot = normalized("document_fraud")
    assert snapshot.status == SessionStatus.REJECTED
    assert not snapshot.review_requested  # DMV does not apply to a passport card
    fraud = snapshot.antifraud
    assert fraud.result == "failed"
    assert fraud.step_name == "doc_front_image_manipulation"
    assert fraud.detail == (
        "Document front: image manipulation: very likely; "
        "Document front: online duplication: likely; "
        "Document front: suspicious words: likely"
    )
    checks = checks_by_key(snapshot)
    assert checks["doc_front_image_manipulation"].status == CheckStatus.FAIL
    assert checks["doc_back_image_manipulation"].status == CheckStatus.OK
    assert "dmv_status_e" not in checks  # not_applicable is not a check
    assert snapshot.overall_score == 23.3


def test_ofac_hit_is_a_watchlist_hit():
    snapshot = normalized("ofac_hit")
    assert snapshot.watchlist_hit
    assert checks_by_key(snapshot)["ofac_status_e"].status == CheckStatus.FAIL
    assert snapshot.antifraud.result == "passed"
    assert snapshot.status == SessionStatus.REJECTED


def test_on_sanction_list_in_the_session_read_is_a_watchlist_hit_too():
    snapshot = normalized("clean", session={"on_sanction_list": True})
    assert snapshot.watchlist_hit


def test_low_score_is_rejected_with_the_score_for_the_routing_rule():
    snapshot = normalized("low_score")
    assert snapshot.status == SessionStatus.REJECTED
    assert snapshot.overall_score == 44.6
    assert not snapshot.review_requested
    checks = checks_by_key(snapshot)
    assert checks["doc_front_image_manipulation"].status == CheckStatus.WARN
    assert checks["name_crosscheck"].status == CheckStatus.FAIL
    assert snapshot.antifraud.result == "passed"  # "possible" is a warning, not a failure


def test_in_progress_has_no_verdict_and_only_what_was_given(mocked_adapter):
    adapter, fake = mocked_adapter("in_progress", {"driver_license_front": tiny_jpeg()})
    snapshot = adapter.fetch_snapshot(fake.payloads["session"]["session_id"])
    assert snapshot.status == SessionStatus.IN_PROGRESS
    assert snapshot.provider_status == "in_progress"
    assert snapshot.overall_score is None and snapshot.scores == {}
    assert snapshot.antifraud.result == "not_executed"
    assert not snapshot.review_requested and not snapshot.watchlist_hit
    assert [e.external_ref for e in snapshot.evidence] == ["driver_license_front"]
    assert fake.bodies("/idv/documents/download") == [
        {
            "session_id": fake.payloads["session"]["session_id"],
            "storage_file_type_e": "driver_license_front",
        }
    ]


@pytest.mark.parametrize(
    ("status_e", "verified", "review", "expected"),
    [
        ("unknown", None, False, SessionStatus.PENDING),
        ("", None, False, SessionStatus.PENDING),
        ("in_progress", None, False, SessionStatus.IN_PROGRESS),
        ("temporarily_complete", None, False, SessionStatus.IN_PROGRESS),
        ("temporarily_blocked", None, False, SessionStatus.FAILED),
        ("expired", None, False, SessionStatus.EXPIRED),
        ("complete", True, False, SessionStatus.APPROVED),
        ("complete", False, False, SessionStatus.REJECTED),
        ("complete", None, False, SessionStatus.NEEDS_REVIEW),
        ("complete", True, True, SessionStatus.NEEDS_REVIEW),
        ("complete", False, True, SessionStatus.NEEDS_REVIEW),
        ("archived", None, False, SessionStatus.IN_PROGRESS),
    ],
)
def test_status_mapping(status_e, verified, review, expected):
    assert map_status(status_e, verified, review=review) == expected


def test_complete_without_a_verdict_asks_for_review():
    snapshot = normalized("clean", session={"verified": None})
    assert snapshot.status == SessionStatus.NEEDS_REVIEW
    assert snapshot.review_requested
    assert snapshot.review_reason == "complete without a verification verdict"
    assert snapshot.provider_status == "complete"


def test_a_dmv_failure_before_completion_asks_for_nothing_yet():
    snapshot = normalized("dmv_mismatch", session={"status_e": "temporarily_complete"})
    assert snapshot.status == SessionStatus.IN_PROGRESS
    assert not snapshot.review_requested


@pytest.mark.parametrize(
    ("tests", "result", "step"),
    [
        (None, None, None),
        ({}, "not_executed", ""),
        ({"doc_front_image_manipulation": "unknown"}, "not_executed", ""),
        ({"doc_front_image_manipulation": "very_unlikely"}, "passed", ""),
        ({"doc_front_image_manipulation": "POSSIBLE"}, "passed", ""),
        ({"doc_back_online_duplication": "likely"}, "failed", "doc_back_online_duplication"),
        (
            {"doc_front_is_identity_document": "unlikely"},
            "failed",
            "doc_front_is_identity_document",
        ),
        ({"doc_front_is_identity_document": "very_likely"}, "passed", ""),
    ],
)
def test_antifraud_from_likelihoods(tests, result, step):
    fraud = antifraud_from(tests)
    if result is None:
        assert fraud is None
    else:
        assert (fraud.result, fraud.step_name) == (result, step)


def test_malformed_payload_parts_are_ignored_not_fatal():
    snapshot = normalize(
        "s-1",
        session={
            "status_e": 7,
            "verified": "yes",
            "score": "high",
            "birth_date": "17/11/1968",
            "created_at": "yesterday",
            "history": ["not an entry", {"created_at": 5}],
            "first_name": ["GRACE"],
            "document_type_e": None,
        },
        tests={"doc_front_image_manipulation": 3, "dmv_street_match": "false"},
        document={"expires_at": 2030},
        ida_sessions=[{"session_id": ""}, {"status_e": "complete"}],
    )
    assert snapshot.status == SessionStatus.IN_PROGRESS
    assert snapshot.overall_score is None
    assert snapshot.person.full_name == "" and snapshot.person.birth_date is None
    assert snapshot.started_at is None and snapshot.updated_at is None
    assert snapshot.related_sessions == ()
    assert snapshot.antifraud.result == "not_executed"


def test_scores_are_clamped():
    assert normalized("clean", session={"score": 140}).overall_score == 100.0
    assert normalized("clean", session={"score": -3}).overall_score == 0.0
    assert normalized("clean", session={"score": "72.5"}).overall_score == 72.5


def test_last_activity_includes_history():
    session = {
        "created_at": "2025-03-14T12:00:00.000Z",
        "history": [{"event": "blocked", "created_at": "2025-03-14T13:00:00.000Z"}],
    }
    assert last_activity(session) == dt.datetime(2025, 3, 14, 13, tzinfo=dt.UTC)
    assert last_activity({}) is None


@pytest.mark.parametrize(
    ("document_type", "expected"),
    [
        (
            "driver_license",
            ["driver_license_front", "driver_license_back", "selfie", "liveness_passive"],
        ),
        (
            "identification_card",
            ["state_id_card_front", "state_id_card_back", "selfie", "liveness_passive"],
        ),
        ("passport", ["passport_front", "selfie", "liveness_passive"]),
        (
            "passport_card",
            ["passport_card_front", "passport_card_back", "selfie", "liveness_passive"],
        ),
        ("unknown", ["selfie", "liveness_passive"]),
    ],
)
def test_evidence_types_follow_the_document_type_and_the_flags(document_type, expected):
    session = {
        "document_type_e": document_type,
        "document_front_given": True,
        "document_back_given": True,
        "selfie_given": True,
        "liveness_detected": True,
    }
    assert [name for name, _ in evidence_types(session)] == expected
    # only a real true counts: "true" (a string) is not a liveness result
    names = [
        name
        for name, _ in evidence_types(
            {**session, "selfie_given": False, "liveness_detected": "true"}
        )
    ]
    assert "selfie" not in names and "liveness_passive" not in names


def test_related_sessions_are_ordered_and_capped():
    rows = [
        {
            "session_id": f"ida-{i:03d}",
            "status_e": "complete",
            "authenticated": i % 2 == 0,
            "created_at": f"2025-03-{1 + i % 28:02d}T00:00:{i % 60:02d}.000Z",
        }
        for i in range(60)
    ]
    snapshot = normalize("s", session={}, tests={}, document={}, ida_sessions=rows)
    related = snapshot.related_sessions
    assert len(related) == 50
    assert [r.created_at for r in related] == sorted(r.created_at for r in related)
    assert {r.status for r in related} == {
        "complete / authenticated",
        "complete / not authenticated",
    }


# ---------------------------------------------------------------- fetch edge cases


def test_a_missing_file_or_document_is_skipped_not_fatal(mocked_adapter):
    adapter, fake = mocked_adapter("clean", {"selfie": tiny_jpeg()})
    fake.payloads["document"] = None
    fake.overrides["/idv/session-tests/read"] = api_error(404, "Session tests not found")
    snapshot = adapter.fetch_snapshot("s-1")
    assert [e.kind for e in snapshot.evidence] == [EvidenceKind.SELFIE]
    assert snapshot.antifraud is None
    assert snapshot.person.document_number == ""
    assert snapshot.person.full_name == "GRACE DAVIS"  # from the session read


def test_evidence_over_the_size_limit_is_skipped(mocked_adapter, settings):
    settings.EVIDENCE_MAX_BYTES = len(tiny_jpeg()) + 10
    big = tiny_jpeg() + b"\0" * 200
    adapter, _ = mocked_adapter("clean", {"selfie": big, "liveness_passive": tiny_jpeg()})
    assert [e.external_ref for e in adapter.fetch_snapshot("s-1").evidence] == ["liveness_passive"]


def test_without_evidence_nothing_is_downloaded(mocked_adapter):
    adapter, fake = mocked_adapter("clean", DL_FILES)
    assert adapter.fetch_snapshot("s-1", with_evidence=False).evidence == ()
    assert fake.bodies("/idv/documents/download") == []


def test_the_sessions_own_404_propagates(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    fake.overrides["/idv/sessions/read"] = api_error(404, "Session not found")
    with pytest.raises(ProviderNotFound) as raised:
        adapter.fetch_snapshot("nope")
    assert raised.value.message == "Session not found"


def test_a_sandbox_base_url_marks_test_mode(connection):
    connection.base_url = "http://127.0.0.1:8000/sandbox/kycapi"
    assert KycapiAdapter(connection)._test_mode


# ---------------------------------------------------------------- sync


def rows_answer(rows):
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        chosen = [r for r in rows if "status" not in body or r["status_e"] == body["status"]]
        page = chosen[body["skip"] : body["skip"] + body["take"]]
        return httpx.Response(200, json={"sessions": page, "meta_counts": {"total": len(chosen)}})

    return answer


SYNC_ROWS = [
    {
        "session_id": "old",
        "status_e": "complete",
        "created_at": "2025-03-01T10:00:00.000Z",
        "completed_at": "2025-03-01T10:10:00.000Z",
    },
    {
        "session_id": "finished-late",
        "status_e": "complete",
        "created_at": "2025-03-01T11:00:00.000Z",
        "completed_at": "2025-03-10T09:00:00.000Z",
    },
    {
        "session_id": "blocked-late",
        "status_e": "temporarily_blocked",
        "created_at": "2025-03-01T11:30:00.000Z",
        "history": [{"event": "blocked", "created_at": "2025-03-10T08:10:00.000Z"}],
    },
    {
        "session_id": "blocked-long-ago",
        "status_e": "temporarily_blocked",
        "created_at": "2025-03-01T11:40:00.000Z",
        "history": [{"event": "blocked", "created_at": "2025-03-01T11:50:00.000Z"}],
    },
    {
        "session_id": "unfinished-undated-change",
        "status_e": "expired",
        "created_at": "2025-03-01T12:00:00.000Z",
    },
    {"session_id": "new", "status_e": "in_progress", "created_at": "2025-03-10T08:30:00.000Z"},
    {"session_id": "no-dates", "status_e": "unknown"},
]


def test_iter_session_ids_walks_everything_without_since(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    fake.overrides["/idv/sessions/list"] = rows_answer(SYNC_ROWS)
    adapter.list_page_size = 2
    assert list(adapter.iter_session_ids()) == [row["session_id"] for row in SYNC_ROWS]
    bodies = fake.bodies("/idv/sessions/list")
    assert [(b["take"], b["skip"]) for b in bodies] == [(2, 0), (2, 2), (2, 4), (2, 6)]
    assert all("start_date" not in b for b in bodies)


def test_iter_session_ids_since_looks_back_and_keeps_what_changed(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    fake.overrides["/idv/sessions/list"] = rows_answer(SYNC_ROWS)
    since = dt.datetime(2025, 3, 10, 8, 0, tzinfo=dt.UTC)
    assert list(adapter.iter_session_ids(since=since)) == [
        "finished-late",
        "blocked-late",
        "unfinished-undated-change",  # no history to date its change by: read again
        "new",
        "no-dates",
    ]
    (body,) = fake.bodies("/idv/sessions/list")
    assert body["start_date"] == "2025-02-08T08:00:00.000Z"  # 30 days before


def test_sync_options_statuses_and_lookback(mocked_adapter, connection):
    adapter, fake = mocked_adapter("clean")
    fake.overrides["/idv/sessions/list"] = rows_answer(SYNC_ROWS)
    connection.options = {
        "sync_statuses": ["in_progress", "complete", "complete"],
        "sync_lookback_days": 2,
    }
    since = dt.datetime(2025, 3, 10, 8, 0, tzinfo=dt.UTC)
    assert list(adapter.iter_session_ids(since=since)) == ["new", "finished-late"]  # by status
    bodies = fake.bodies("/idv/sessions/list")
    assert [b["status"] for b in bodies] == ["in_progress", "complete"]
    assert {b["start_date"] for b in bodies} == {"2025-03-08T08:00:00.000Z"}


@pytest.mark.parametrize(
    "options",
    [
        {"sync_statuses": "complete"},
        {"sync_statuses": ["done"]},
        {"sync_statuses": []},
        {"sync_lookback_days": -1},
        {"sync_lookback_days": "30"},
        {"sync_lookback_days": True},
    ],
)
def test_bad_sync_options_fall_back_to_the_defaults(mocked_adapter, connection, options):
    adapter, fake = mocked_adapter("clean")
    fake.overrides["/idv/sessions/list"] = rows_answer(SYNC_ROWS)
    connection.options = options
    assert len(list(adapter.iter_session_ids(since=dt.datetime(2025, 3, 10, tzinfo=dt.UTC)))) == 5
    assert all("status" not in b for b in fake.bodies("/idv/sessions/list"))


# ---------------------------------------------------------------- output and connection


@pytest.mark.parametrize(
    ("queue", "outcome"),
    [
        ("status", "approve"),
        ("status", "reject"),
        ("antifraud", "resolve_false_positive"),
        ("antifraud", "confirm_fraud"),
        ("poa", "approve"),
    ],
)
def test_decisions_stay_local_and_nothing_is_sent(mocked_adapter, queue, outcome):
    adapter, fake = mocked_adapter("dmv_mismatch")
    result = adapter.write_decision(
        WriteBackRequest(
            external_id="s-1",
            queue=queue,
            outcome=outcome,
            reason="verified",
            note="",
            reviewer="alice",
            idempotency_key="wb-1",
        )
    )
    assert result.supported is False
    assert fake.requests == []


def test_test_connection_checks_health_then_credentials(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    fake.overrides["/idv/sessions/list"] = rows_answer([])
    adapter.test_connection()
    paths = [r.url.path.removeprefix("/base") for r in fake.requests]
    assert paths == ["/health", "/oauth/token", "/idv/sessions/list"]
    assert fake.bodies("/idv/sessions/list") == [{"take": 1, "skip": 0}]


def test_test_connection_fails_on_an_unhealthy_service(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    fake.overrides["/health"] = httpx.Response(200, json={"status": "error", "error": "db down"})
    with pytest.raises(ProviderUnavailable, match="db down"):
        adapter.test_connection()


def test_register_webhook_replaces_its_own_by_name_and_sends_the_secret(mocked_adapter, connection):
    adapter, fake = mocked_adapter("clean")
    name = f"kycdash-{connection.pk}"
    fake.webhooks = [
        {"id": "w-old", "name": name, "url": "https://old.test/"},
        {"id": "w-other", "name": "someone-else", "url": "https://x.test/"},
        {"id": "w-prefix", "name": f"{name}-copy", "url": "https://x.test/"},
    ]
    adapter.register_webhook("https://kycdash.test/webhooks/abc/")
    assert fake.bodies("/webhooks/list") == [{"take": 100, "skip": 0, "search_term": name}]
    assert fake.bodies("/webhooks/delete") == [{"id": "w-old"}]
    assert fake.bodies("/webhooks/create") == [
        {
            "name": name,
            "url": "https://kycdash.test/webhooks/abc/",
            "secret": connection.webhook_secret,
        }
    ]
    paths = [r.url.path.removeprefix("/base") for r in fake.requests]
    assert paths.index("/webhooks/delete") < paths.index("/webhooks/create")


def test_unregister_webhook_deletes_only_its_own_and_tolerates_a_vanished_one(
    mocked_adapter, connection
):
    adapter, fake = mocked_adapter("clean")
    name = f"kycdash-{connection.pk}"
    fake.webhooks = [
        {"id": "w-1", "name": name},
        {"id": "w-2", "name": name},
        {"id": "w-3", "name": "x"},
    ]
    deletes = iter([api_error(404, "Webhook not found"), httpx.Response(200, json={})])
    fake.overrides["/webhooks/delete"] = lambda request: next(deletes)
    adapter.unregister_webhook()
    assert fake.bodies("/webhooks/delete") == [{"id": "w-1"}, {"id": "w-2"}]
    assert fake.bodies("/webhooks/create") == []


def test_register_webhook_needs_a_url(mocked_adapter):
    adapter, fake = mocked_adapter("clean")
    with pytest.raises(ValueError):
        adapter.register_webhook("")
    assert fake.requests == []


def test_the_adapter_makes_its_own_client_from_the_connection(connection, monkeypatch):
    made = []
    real = KycApiClient.from_connection

    def spy(conn, **kwargs):
        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/oauth/token"):
                return token_answer()
            return api_error(404, "Session not found")

        client = real(conn, transport=httpx.MockTransport(answer), **kwargs)
        made.append(client)
        return client

    monkeypatch.setattr(KycApiClient, "from_connection", staticmethod(spy))
    with pytest.raises(ProviderNotFound):
        KycapiAdapter(connection).fetch_snapshot("nope")
    assert len(made) == 1 and made[0]._http.is_closed
