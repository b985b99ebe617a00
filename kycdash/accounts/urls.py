from django.urls import path

from kycdash.accounts import views

urlpatterns = [
    path("login/", views.KycLoginView.as_view(), name="login"),
    path("logout/", views.KycLogoutView.as_view(), name="logout"),
    path("project/switch/", views.project_switch, name="project-switch"),
    path("account/preferences/", views.preferences, name="preferences"),
]
