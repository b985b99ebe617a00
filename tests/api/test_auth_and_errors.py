"""Authentication and the error envelope shared by every endpoint."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


def test_a_token_authenticates(api, reviewer, task):
    response = api(reviewer).get("/api/v1/tasks/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [task.pk]


def test_the_drf_create_token_command_gives_a_working_token(anonymous, reviewer, task, capsys):
    from django.core.management import call_command

    call_command("drf_create_token", reviewer.username)
    key = Token.objects.get(user=reviewer).key
    assert key in capsys.readouterr().out
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert anonymous.get(f"/api/v1/tasks/{task.pk}/").status_code == 200


def test_without_credentials_the_answer_is_401(anonymous, task):
    response = anonymous.get("/api/v1/tasks/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/sessions/"),
        ("get", "/api/v1/tasks/{task}/"),
        ("post", "/api/v1/tasks/{task}/claim/"),
        ("post", "/api/v1/tasks/claim-next/"),
        ("post", "/api/v1/tasks/{task}/decide/"),
    ],
)
def test_every_endpoint_needs_credentials(anonymous, task, method, path):
    response = getattr(anonymous, method)(path.format(task=task.pk), {}, format="json")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    task.refresh_from_db()
    assert task.state == "open"


def test_a_wrong_token_is_401(anonymous, task):
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = anonymous.get("/api/v1/tasks/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


def test_a_token_of_a_deactivated_user_is_refused(api, reviewer, task):
    client = api(reviewer)
    reviewer.is_active = False
    reviewer.save()
    assert client.get("/api/v1/tasks/").status_code == 401


def test_the_browser_session_works_too(client, reviewer, task):
    client.force_login(reviewer)
    response = client.get(f"/api/v1/tasks/{task.pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == task.pk


def test_session_auth_writes_need_the_csrf_token(reviewer, task):
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(reviewer)
    response = browser.post(f"/api/v1/tasks/{task.pk}/claim/")
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    task.refresh_from_db()
    assert task.state == "open"


def test_a_wrong_method_is_405(api, reviewer, task):
    response = api(reviewer).get(f"/api/v1/tasks/{task.pk}/claim/")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_an_unknown_path_is_a_json_404(api, reviewer):
    response = api(reviewer).get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_missing_object_is_404_not_found(api, reviewer):
    response = api(reviewer).get("/api/v1/tasks/999999/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_malformed_json_is_400(api, reviewer, task):
    response = api(reviewer).post(
        f"/api/v1/tasks/{task.pk}/decide/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"
    task.refresh_from_db()
    assert task.state == "open"


def test_another_projects_task_is_404_and_audited(api, outsider, task):
    from kycdash.audit.models import AuditEvent

    response = api(outsider).get(f"/api/v1/tasks/{task.pk}/")

    assert response.status_code == 404
    denied = AuditEvent.objects.get(action="access.denied")
    assert denied.actor == outsider and denied.data["path"] == f"/api/v1/tasks/{task.pk}/"
