"""Admin pages of provider connections, mounted at ``admin/`` by kycdash/urls.py."""

from django.urls import path

from providers import views

urlpatterns = [
    path("connections/", views.connection_list, name="connection-list"),
    path("connections/add/", views.connection_add, name="connection-add"),
    path("connections/create/", views.connection_create_view, name="connection-create"),
    path("connections/<uuid:pk>/", views.connection_detail, name="connection-detail"),
    path("connections/<uuid:pk>/settings/", views.connection_update_view, name="connection-update"),
    path("connections/<uuid:pk>/test/", views.connection_test_view, name="connection-test"),
    path("connections/<uuid:pk>/secret/", views.connection_secret_view, name="connection-secret"),
    path("connections/<uuid:pk>/rotate/", views.connection_rotate_view, name="connection-rotate"),
    path(
        "connections/<uuid:pk>/register-webhook/",
        views.connection_register_webhook_view,
        name="connection-register-webhook",
    ),
    path("connections/<uuid:pk>/sync/", views.connection_sync_view, name="connection-sync"),
    path(
        "connections/<uuid:pk>/disconnect/",
        views.connection_disconnect_view,
        name="connection-disconnect",
    ),
]
