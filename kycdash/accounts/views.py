"""Sign-in, sign-out, the project switcher and the time-zone preference."""

from __future__ import annotations

import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from kycdash.accounts.forms import LoginForm, ProjectSwitchForm, TimezoneForm
from kycdash.accounts.middleware import SESSION_KEY as PROJECT_SESSION_KEY
from kycdash.accounts.models import Project
from kycdash.audit.services import audit_access_denied, audit_record

TIMEZONE_SESSION_KEY = "timezone"
DEFAULT_TIMEZONE = "UTC"
USERNAME_AUDIT_MAX = 150


def user_timezone(request: HttpRequest) -> zoneinfo.ZoneInfo:
    """The time zone the user chose for this sign-in, UTC by default."""
    session = getattr(request, "session", None)
    name = session.get(TIMEZONE_SESSION_KEY, DEFAULT_TIMEZONE) if session is not None else ""
    try:
        return zoneinfo.ZoneInfo(name or DEFAULT_TIMEZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_TIMEZONE)


def safe_next(request: HttpRequest, value: str | None, default: str = "home") -> str:
    """``value`` when it points inside this site, else the URL named ``default``."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse(default)


class KycLoginView(LoginView):
    """Django's sign-in, auditing both outcomes (the name tried, never the password)."""

    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(action="auth.login", actor=form.get_user())
        return response

    def form_invalid(self, form):
        username = str(form.data.get("username", ""))[:USERNAME_AUDIT_MAX]
        audit_record(action="auth.login_failed", data={"username": username})
        return super().form_invalid(form)


class KycLogoutView(LogoutView):
    """Sign-out by POST only (Django's default), audited while we still know who it is."""

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            audit_record(action="auth.logout", actor=request.user)
        return super().post(request, *args, **kwargs)


@require_POST
@login_required
def project_switch(request: HttpRequest) -> HttpResponse:
    """Choose the project the lists show; an empty choice means all my projects."""
    form = ProjectSwitchForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Choose one of your projects.")
    project_id = form.cleaned_data["project"]
    if project_id is None:
        request.session.pop(PROJECT_SESSION_KEY, None)
    else:
        project = Project.objects.visible_to(request.user).filter(pk=project_id).first()
        if project is None:
            audit_access_denied(request)
            raise Http404("No such project.")
        request.session[PROJECT_SESSION_KEY] = project.pk
    return redirect(safe_next(request, form.cleaned_data["next"]))


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """The user's time zone for every time kycdash shows (kept for this sign-in)."""
    current = user_timezone(request).key
    if request.method == "POST":
        form = TimezoneForm(request.POST)
        if form.is_valid():
            request.session[TIMEZONE_SESSION_KEY] = form.cleaned_data["timezone"]
            messages.success(request, f"Times are now shown in {form.cleaned_data['timezone']}.")
            return redirect("preferences")
    else:
        form = TimezoneForm(initial={"timezone": current})
    # Imported here: the page frame (nav counts) belongs to reviews, which imports this module.
    from reviews.views import render_page

    return render_page(request, "accounts/preferences.html", {"form": form, "current": current})
