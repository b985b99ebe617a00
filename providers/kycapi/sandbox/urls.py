"""URLs of the KYC API sandbox, mounted at /sandbox/kycapi/ when sandboxes are enabled.

The API paths are the ones ``providers/kycapi/client.py`` chose (the document gives
none); ``_control/...`` is the sandbox's remote control for tests and the demo; the
root is a page for people.
"""

from django.urls import path

from providers.kycapi.sandbox import views

app_name = "kycapi_sandbox"

urlpatterns = [
    path("", views.index, name="index"),
    path("files/<str:session_id>/<str:file_type>", views.session_file, name="file"),
    # KYC API
    path("oauth/token", views.token),
    path("health", views.health),
    path("idv/sessions/list", views.idv_sessions_list),
    path("idv/sessions/read", views.idv_sessions_read),
    path("idv/session-tests/read", views.idv_session_tests_read),
    path("idv/documents/read", views.idv_documents_read),
    path("idv/documents/list", views.idv_documents_list),
    path("idv/documents/download", views.idv_documents_download),
    path("idv/sessions/anonymize", views.idv_sessions_anonymize),
    path("idv/sessions/delete", views.idv_sessions_delete),
    path("ida/sessions/list", views.ida_sessions_list),
    path("webhooks/create", views.webhooks_create),
    path("webhooks/list", views.webhooks_list),
    path("webhooks/delete", views.webhooks_delete),
    # remote control
    path("_control/accounts", views.control_account, name="control-accounts"),
    path("_control/faults", views.control_faults, name="control-faults"),
    path("_control/tokens/revoke", views.control_revoke_tokens, name="control-revoke"),
    path("_control/sessions", views.control_create_session, name="control-sessions"),
    path("_control/sessions/<str:session_id>/notify", views.control_notify, name="control-notify"),
    path(
        "_control/sessions/<str:session_id>/reauthenticate",
        views.control_reauthenticate,
        name="control-reauthenticate",
    ),
    path("_control/received", views.control_received, name="control-received"),
    # anything else under the API: its own 404 body
    path("<path:rest>", views.unknown_endpoint),
]
