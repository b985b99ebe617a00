"""URLs of the Finwave sandbox, mounted at /sandbox/finwave/ when sandboxes are enabled.

``management/...`` is Finwave's API under its documented base path, so a connection's
base URL is ``<site>/sandbox/finwave/management``; ``onboarding/<id>`` is the page the
creation's ``url`` points at; ``_control/...`` is the sandbox's remote control for tests
and the demo.
"""

from django.urls import path

from providers.finwave.sandbox import views

app_name = "finwave_sandbox"

urlpatterns = [
    path("", views.index, name="index"),
    path("onboarding/<str:onboarding_id>", views.onboarding_page, name="onboarding-page"),
    path("files/<str:onboarding_id>/<str:role>", views.evidence_file, name="file"),
    # Finwave's integrations API
    path("management/integrations", views.create_integration),
    path("management/integrations/<str:onboarding_id>/result", views.integration_result),
    path("management/integrations/<str:onboarding_id>/evidences", views.integration_evidences),
    path("management/<path:rest>", views.unknown_endpoint),
    # remote control
    path("_control/accounts", views.control_account, name="control-accounts"),
    path("_control/webhook", views.control_webhook, name="control-webhook"),
    path("_control/faults", views.control_faults, name="control-faults"),
    path("_control/onboardings", views.control_create_onboarding, name="control-onboardings"),
    path(
        "_control/onboardings/<str:onboarding_id>/advance",
        views.control_advance,
        name="control-advance",
    ),
    path(
        "_control/onboardings/<str:onboarding_id>/notify",
        views.control_notify,
        name="control-notify",
    ),
    path("_control/received", views.control_received, name="control-received"),
]
