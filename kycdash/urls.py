"""kycdash's URL map."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("", include("kycdash.accounts.urls")),
    path("", include("reviews.urls")),
    path("admin/", include("providers.admin_urls")),
    path("", include("providers.urls")),
    path("api/v1/", include("reviews.api_urls")),
]

if settings.SANDBOXES_ENABLED:
    from providers.registry import PROVIDER_PACKAGES

    urlpatterns += [
        path(f"sandbox/{name}/", include(f"providers.{name}.sandbox.urls"))
        for name in PROVIDER_PACKAGES
    ]
