from django.urls import path

from providers import webhooks

urlpatterns = [
    path("webhooks/<uuid:connection_id>/", webhooks.receive, name="webhook"),
    path("webhooks/<uuid:connection_id>/<str:secret>/", webhooks.receive, name="webhook-secret"),
]
