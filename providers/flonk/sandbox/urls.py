"""URLs of the Flonk KYC sandbox, mounted at /sandbox/flonk/ when sandboxes are enabled.

The ``v1/...`` paths are Flonk's REST API as ``providers/flonk/client.py`` describes it;
``_control/...`` is the sandbox's remote control for tests and the demo.
"""

from django.urls import path

from providers.flonk.sandbox import views

app_name = "flonk_sandbox"

urlpatterns = [
    path("", views.index, name="index"),
    path("images/<str:session_id>/<str:image_type>", views.image, name="image"),
    # Flonk KYC REST API
    path("v1/sessions", views.sessions_view),
    path("v1/sessions/<str:session_id>", views.session_view),
    path("v1/sessions/<str:session_id>/verification", views.verification_view),
    path("v1/sessions/<str:session_id>/verification/status", views.verification_status_view),
    path("v1/sessions/<str:session_id>/poa", views.poa_view),
    path("v1/sessions/<str:session_id>/poa/status", views.poa_status_view),
    path("v1/sessions/<str:session_id>/images", views.images_view),
    path("v1/sessions/<str:session_id>/images/<str:image_type>", views.image_view),
    path("v1/sessions/<str:session_id>/notes", views.notes_view),
    path("v1/<path:rest>", views.unknown_endpoint),
    # remote control
    path("_control/accounts", views.control_account, name="control-accounts"),
    path("_control/webhook", views.control_webhook, name="control-webhook"),
    path("_control/faults", views.control_faults, name="control-faults"),
    path("_control/sessions", views.control_create_session, name="control-sessions"),
    path(
        "_control/sessions/<str:session_id>/events",
        views.control_send_event,
        name="control-events",
    ),
    path("_control/received", views.control_received, name="control-received"),
    path("_control/deliveries", views.control_deliveries, name="control-deliveries"),
]
