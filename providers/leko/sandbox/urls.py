"""URLs of the LE-KO KYC sandbox, mounted at /sandbox/leko/ when sandboxes are enabled.

``verifications...`` are LE-KO's own paths (the API's base URL is the mount point,
standing for ``https://kyc-{env}.le-ko.deggex.com/v1``); ``files/...`` is the image
path chosen in ``providers/leko/client.py``; ``_control/...`` is the sandbox's remote
control for tests and the demo; any other path answers LE-KO's 404 body.
"""

from django.urls import path

from providers.leko.sandbox import views

app_name = "leko_sandbox"

urlpatterns = [
    path("", views.index, name="index"),
    path("_files/<int:pk>", views.page_file, name="file"),
    # remote control
    path("_control/accounts", views.control_account, name="control-accounts"),
    path("_control/members", views.control_member, name="control-members"),
    path("_control/faults", views.control_faults, name="control-faults"),
    path(
        "_control/verifications",
        views.control_create_verification,
        name="control-verifications",
    ),
    path("_control/received", views.control_received, name="control-received"),
    # LE-KO KYC API
    path("verifications", views.verifications),
    path("verifications/status", views.status),
    path("verifications/<str:verification_id>", views.verification),
    path("verifications/<str:verification_id>/avatar", views.avatar),
    path("verifications/<str:verification_id>/passport", views.passport),
    path("verifications/<str:verification_id>/admin", views.admin),
    path("files/<path:file_key>", views.files),
    path("<path:rest>", views.unknown_endpoint),
]
