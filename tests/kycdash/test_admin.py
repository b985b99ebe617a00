import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from kycdash.audit.services import audit_record
from tests.factories import ConnectionFactory


@pytest.fixture
def staff_client(client, db):
    user = get_user_model().objects.create_superuser("staff", "staff@example.com", "pw-staff-1")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "name",
    [
        "admin:accounts_project_changelist",
        "admin:providers_providerconnection_changelist",
        "admin:audit_auditevent_changelist",
    ],
)
def test_platform_staff_can_list(staff_client, name, project):
    ConnectionFactory(project=project)
    assert staff_client.get(reverse(name)).status_code == 200


def test_connection_credentials_are_not_shown(staff_client, project):
    connection = ConnectionFactory(project=project)
    page = staff_client.get(
        reverse("admin:providers_providerconnection_change", args=[connection.pk])
    )
    assert page.status_code == 200
    assert b"sandbox-admin-token" not in page.content


def test_audit_rows_cannot_be_changed_or_deleted_in_admin(staff_client, project):
    event = audit_record(action="test.event", project=project)
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    delete = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert staff_client.post(change, {"action": "edited"}).status_code == 403
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.action == "test.event"
