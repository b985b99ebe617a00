"""URLs of the Incode Omni sandbox, mounted at /sandbox/incode/ when sandboxes are enabled.

The ``omni/...`` paths are Incode's own; ``_control/...`` is the sandbox's remote
control for tests and the demo.
"""

from django.urls import path

from providers.incode.sandbox import views

app_name = "incode_sandbox"

urlpatterns = [
    path("", views.index, name="index"),
    path("images/<str:interview_id>/<str:image_type>", views.image, name="image"),
    # Incode Omni API
    path("omni/get/onboarding/status", views.onboarding_status),
    path("omni/get/score", views.score),
    path("omni/get/ocr-data", views.ocr_data),
    path("omni/process/antifraud", views.process_antifraud),
    path("omni/get/images", views.get_images),
    path("omni/search/interviews", views.search_interviews),
    path("omni/manual-review", views.manual_review),
    path("omni/resolve/antifraud", views.resolve_antifraud),
    path("omni/add/watchlist/single-record", views.add_watchlist_record),
    path("omni/interview", views.delete_interview),
    path("omni/<path:rest>", views.unknown_endpoint),
    # remote control
    path("_control/accounts", views.control_account, name="control-accounts"),
    path("_control/webhook", views.control_webhook, name="control-webhook"),
    path("_control/faults", views.control_faults, name="control-faults"),
    path("_control/interviews", views.control_create_interview, name="control-interviews"),
    path(
        "_control/interviews/<str:interview_id>/notify",
        views.control_notify,
        name="control-notify",
    ),
    path("_control/received", views.control_received, name="control-received"),
]
