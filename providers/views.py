"""Admin pages of provider connections: list, add, settings, test, webhook secret, sync.

Only admins of a connection's project (and superusers) reach them: the lookups go
through ``visible_to(user, roles=MANAGING_ROLES)``, so anyone else gets the same 404
as a missing page (audited as ``access.denied``, like every other page).

Views are adapters: every write is a POST calling a ``providers.services`` function,
which audits it. The one audit row written here is ``connection.secret_viewed``: the
reveal is a read, and the services have nothing to say about it. Credentials are
never rendered back, not even as a masked length.

htmx actions answer the fragment they changed plus the page's message region
(``#task-msg``, the live region kycdash.js also speaks through); without JavaScript
an action redirects back to the page with a flash message, except the two that show
a secret once (reveal, rotate), which render the page directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from kycdash.accounts.models import MANAGING_ROLES, Project
from kycdash.audit.services import audit_access_denied, audit_record
from providers.base import Capability, ProviderError
from providers.forms import (
    PROVIDER_OPTIONS,
    ConfirmForm,
    ConnectionAddForm,
    ConnectionSettingsForm,
    SyncForm,
)
from providers.models import ProviderConnection
from providers.registry import adapter_class
from providers.services import (
    ConnectionSettingsError,
    connection_create,
    connection_disconnect,
    connection_register_webhook,
    connection_rotate_secret,
    connection_sync_start,
    connection_test,
    connection_update,
)
from reviews.models import Queue
from reviews.views import (
    HtmxHttpRequest,
    frame_context,
    get_visible_or_404,
    render_fragments,
    render_page,
    wants_fragment,
)

RECENT_EVENTS = 20
# A sync asked for but not yet started by a worker is waited for this long.
SYNC_QUEUE_WAIT = dt.timedelta(minutes=2)

DETAIL = "providers/connection_detail.html"
ADD = "providers/connection_add.html"

WRITE_BACK_QUEUES = (
    (Capability.WRITE_STATUS, Queue.STATUS),
    (Capability.WRITE_POA, Queue.POA),
    (Capability.WRITE_ANTIFRAUD, Queue.ANTIFRAUD),
)


# ---------------------------------------------------------------- what a provider supports


@dataclass(frozen=True)
class Supports:
    """A provider's capabilities in the words of the admin pages."""

    label: str
    intake: tuple[str, ...]  # "webhook", "sync"
    evidence: bool
    write_back: tuple[str, ...]  # queue labels whose decisions go back to the provider
    sync: bool
    register_webhook: bool
    webhook_secret_header: str  # "" when the secret travels in the URL


def supports(provider: str) -> Supports:
    try:
        adapter = adapter_class(provider)
    except KeyError:
        return Supports(provider, (), False, (), False, False, "")
    caps = adapter.capabilities
    return Supports(
        label=adapter.label,
        intake=tuple(
            word
            for cap, word in ((Capability.WEBHOOK, "webhook"), (Capability.SYNC, "sync"))
            if cap in caps
        ),
        evidence=Capability.EVIDENCE in caps,
        write_back=tuple(queue.label for cap, queue in WRITE_BACK_QUEUES if cap in caps),
        sync=Capability.SYNC in caps,
        register_webhook=Capability.REGISTER_WEBHOOK in caps,
        webhook_secret_header=adapter.webhook_secret_header,
    )


# ---------------------------------------------------------------- lookups


def _managed_projects(request: HtmxHttpRequest) -> QuerySet[Project]:
    return Project.objects.visible_to(request.user, roles=MANAGING_ROLES)


def _connection_or_404(request: HtmxHttpRequest, pk) -> ProviderConnection:
    managed = ProviderConnection.objects.visible_to(
        request.user, roles=MANAGING_ROLES
    ).select_related("project")
    return get_visible_or_404(request, managed, pk)


def _not_found(request: HtmxHttpRequest) -> Http404:
    audit_access_denied(request)
    return Http404("Not found.")


# ---------------------------------------------------------------- list


@require_GET
@login_required
def connection_list(request: HtmxHttpRequest) -> HttpResponse:
    """The connections of the project in view, or of every project the user manages."""
    projects = _managed_projects(request)
    if request.project is not None:
        projects = projects.filter(pk=request.project.pk)
    projects = list(projects.order_by("name"))
    if not projects:
        raise _not_found(request)
    connections = list(
        ProviderConnection.objects.filter(project__in=projects)
        .select_related("project")
        .order_by("-is_active", "name")
    )
    for connection in connections:
        connection.supports = supports(connection.provider)
    groups = [
        {"project": project, "connections": [c for c in connections if c.project_id == project.pk]}
        for project in projects
    ]
    return render_page(
        request,
        "providers/connection_list.html",
        {"groups": groups, "single_project": request.project is not None or len(projects) == 1},
    )


# ---------------------------------------------------------------- add


def _add_context(form: ConnectionAddForm, *, error: str = "") -> dict[str, Any]:
    return {
        "form": form,
        "error": error,
        "chosen": supports(form.provider_name) if form.provider_name else None,
    }


def _add_projects(request: HtmxHttpRequest) -> QuerySet[Project]:
    projects = _managed_projects(request)
    if request.project is not None:
        projects = projects.filter(pk=request.project.pk)
    if not projects.exists():
        raise _not_found(request)
    return projects


def _add_failed(request: HtmxHttpRequest, form: ConnectionAddForm, error: str) -> HttpResponse:
    """The form again with the error; typed credentials are not sent back."""
    context = _add_context(form, error=error)
    if wants_fragment(request):
        return render_fragments(request, [(f"{ADD}#add-form", context)], status=422)
    return render_page(request, ADD, context, status=422)


@require_GET
@login_required
def connection_add(request: HtmxHttpRequest) -> HttpResponse:
    """The add form; htmx asks for ``#credential-fields`` alone when the provider changes."""
    projects = _add_projects(request)
    initial = {}
    wanted = request.GET.get("project", "")
    if wanted.isdigit() and projects.filter(pk=int(wanted)).exists():
        initial["project"] = int(wanted)
    elif request.project is not None:
        initial["project"] = request.project.pk
    provider = request.GET.get("provider", "")
    form = ConnectionAddForm(projects=projects, provider=provider, initial=initial)
    form.fields["provider"].initial = form.provider_name
    if wants_fragment(request) and request.htmx.target == "credential-fields":
        return render_fragments(request, [(f"{ADD}#credential-fields", _add_context(form))])
    return render_page(request, ADD, _add_context(form))


@require_POST
@login_required
def connection_create_view(request: HtmxHttpRequest) -> HttpResponse:
    projects = _add_projects(request)
    form = ConnectionAddForm(request.POST, projects=projects)
    if "continue" in request.POST:
        # Without JavaScript: the provider was chosen, now show its credential fields.
        # Nothing typed into credential fields is kept or shown again.
        form = ConnectionAddForm(
            projects=projects,
            provider=form.provider_name,
            initial={
                "project": request.POST.get("project"),
                "provider": form.provider_name,
                "name": request.POST.get("name", ""),
                "base_url": request.POST.get("base_url", ""),
            },
        )
        return render_page(request, ADD, _add_context(form))
    if not form.is_valid():
        return _add_failed(request, form, "Not saved: check the fields marked below.")
    data = form.cleaned_data
    try:
        connection = connection_create(
            project=data["project"],
            provider=data["provider"],
            base_url=data["base_url"].strip(),
            credentials=form.credentials(),
            name=data["name"].strip(),
            actor=request.user,
        )
    except ConnectionSettingsError as exc:
        return _add_failed(request, form, f"Not saved: {exc}.")
    messages.success(request, f"{connection.name} added. Test it, then point the webhook here.")
    url = reverse("connection-detail", args=[connection.pk])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


# ---------------------------------------------------------------- detail


def _sync_context(
    connection: ProviderConnection, *, requested_at: dt.datetime | None = None
) -> dict[str, Any]:
    """The sync panel: state, counts, and whether it should keep polling."""
    progress = connection.sync_progress or {}
    processed = sum(
        int(progress.get(key) or 0) for key in ("created", "changed", "unchanged", "failed")
    )
    waiting = bool(
        requested_at
        and connection.sync_state != ProviderConnection.SyncState.RUNNING
        and (
            connection.last_sync_started_at is None
            or connection.last_sync_started_at < requested_at
        )
        and timezone.now() - requested_at < SYNC_QUEUE_WAIT
    )
    return {
        "connection": connection,
        "supports": supports(connection.provider),
        "sync_running": connection.sync_state == ProviderConnection.SyncState.RUNNING,
        "sync_waiting": waiting,
        "sync_requested_at": int(requested_at.timestamp()) if requested_at else "",
        "progress": progress,
        "processed": processed,
        "seen": int(progress.get("seen") or 0),
    }


def _detail_context(
    request: HtmxHttpRequest,
    connection: ProviderConnection,
    *,
    form: ConnectionSettingsForm | None = None,
    settings_error: str = "",
    secret_shown: bool = False,
    secret_new: bool = False,
    confirm: str = "",
    page_message: str = "",
    is_error: bool = False,
    requested_at: dt.datetime | None = None,
) -> dict[str, Any]:
    return {
        "connection": connection,
        "project": connection.project,
        "supports": supports(connection.provider),
        "form": form or ConnectionSettingsForm(connection=connection),
        "settings_error": settings_error,
        "has_options": bool(PROVIDER_OPTIONS.get(connection.provider)),
        "secret_shown": secret_shown,
        "secret_new": secret_new,
        "confirm": confirm,
        "task_message": page_message,
        "is_error": is_error,
        "events": list(connection.webhook_events.order_by("-received_at")[:RECENT_EVENTS]),
        **_sync_context(connection, requested_at=requested_at),
    }


def _requested_at(request: HtmxHttpRequest) -> dt.datetime | None:
    value = request.GET.get("since", "")
    if not value.isdigit():
        return None
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)


@require_GET
@login_required
def connection_detail(request: HtmxHttpRequest, pk) -> HttpResponse:
    connection = _connection_or_404(request, pk)
    if wants_fragment(request) and request.htmx.target == "sync":
        # The sync panel polls itself every second while a sync runs.
        context = _sync_context(connection, requested_at=_requested_at(request))
        return render_fragments(request, [(f"{DETAIL}#sync", context)])
    if wants_fragment(request) and request.htmx.target == "webhook":
        # "Hide" of a revealed secret: the panel again, secret hidden.
        return render_fragments(
            request, [(f"{DETAIL}#webhook", _detail_context(request, connection))]
        )
    return render_page(request, DETAIL, _detail_context(request, connection))


# ---------------------------------------------------------------- actions


def _message(text: str, *, error: bool = False) -> tuple[str, dict[str, Any]]:
    return (
        "includes/task_message.html",
        {"task_message": text, "is_error": error, "oob": True},
    )


def _done(
    request: HtmxHttpRequest,
    connection: ProviderConnection,
    fragment: str,
    text: str,
    *,
    error: bool = False,
    status: int = 200,
    head: bool = False,
    nav: bool = False,
    **context: Any,
) -> HttpResponse:
    """After an action: the changed fragment and the message (htmx), or back to the page.

    ``head``: the page head (name, base URL) changed too; ``nav``: the action may have
    opened tasks, so the nav counts come along.
    """
    if wants_fragment(request):
        full = _detail_context(request, connection, **context)
        parts = [(f"{DETAIL}#{fragment}", full), _message(text, error=error)]
        if head:
            parts.append((f"{DETAIL}#conn-head", {**full, "oob": True}))
        if nav:
            parts.append(("includes/nav.html", {**frame_context(request), "oob": True}))
        return render_fragments(request, parts, status=status)
    if error:
        messages.error(request, text)
    else:
        messages.success(request, text)
    return redirect("connection-detail", pk=connection.pk)


@require_POST
@login_required
def connection_update_view(request: HtmxHttpRequest, pk) -> HttpResponse:
    connection = _connection_or_404(request, pk)
    form = ConnectionSettingsForm(request.POST, connection=connection)
    error = ""
    if not form.is_valid():
        error = "Not saved: check the fields marked below."
    else:
        data = form.cleaned_data
        try:
            connection = connection_update(
                connection=connection,
                actor=request.user,
                name=data["name"],
                base_url=data["base_url"].strip(),
                credentials=form.credentials(),
                options=form.options(),
            )
        except ConnectionSettingsError as exc:
            error = f"Not saved: {exc}."
    if error:
        connection.refresh_from_db()
        if wants_fragment(request):
            context = _detail_context(request, connection, form=form, settings_error=error)
            return render_fragments(
                request,
                [(f"{DETAIL}#settings", context), _message(error, error=True)],
                status=422,
            )
        context = _detail_context(
            request, connection, form=form, settings_error=error, page_message=error, is_error=True
        )
        return render_page(request, DETAIL, context, status=422)
    return _done(request, connection, "settings", "Settings saved.", head=True)


@require_POST
@login_required
def connection_test_view(request: HtmxHttpRequest, pk) -> HttpResponse:
    connection = _connection_or_404(request, pk)
    check = connection_test(connection=connection, actor=request.user)
    label = supports(connection.provider).label
    if check.ok:
        text = f"Connection works: {label} accepted the credentials."
    else:
        text = f"Connection does not work: {check.message}"
    if wants_fragment(request):
        return render_fragments(
            request,
            [
                (
                    f"{DETAIL}#check-result",
                    {"check": check, "check_text": text, "checked_at": timezone.now()},
                )
            ],
        )
    if check.ok:
        messages.success(request, text)
    else:
        messages.error(request, text)
    return redirect("connection-detail", pk=connection.pk)


@require_POST
@login_required
def connection_secret_view(request: HtmxHttpRequest, pk) -> HttpResponse:
    """Show the webhook secret; each reveal is audited."""
    connection = _connection_or_404(request, pk)
    audit_record(
        action="connection.secret_viewed",
        actor=request.user,
        project=connection.project,
        obj=connection,
    )
    return _secret_response(request, connection, secret_shown=True)


def _secret_response(
    request: HtmxHttpRequest, connection: ProviderConnection, *, text: str = "", **context: Any
) -> HttpResponse:
    """The webhook panel (htmx) or the page (no JS) with the secret in it, never cached."""
    if wants_fragment(request):
        parts = [(f"{DETAIL}#webhook", _detail_context(request, connection, **context))]
        if text:
            parts.append(_message(text))
        response = render_fragments(request, parts)
    else:
        page = _detail_context(request, connection, page_message=text, **context)
        response = render_page(request, DETAIL, page)
    add_never_cache_headers(response)
    return response


def _confirmed(request: HtmxHttpRequest) -> bool:
    return ConfirmForm(request.POST).is_valid()


@require_POST
@login_required
def connection_rotate_view(request: HtmxHttpRequest, pk) -> HttpResponse:
    """A new webhook secret, shown once; the old one stops working at once."""
    connection = _connection_or_404(request, pk)
    if not _confirmed(request):
        return render_page(request, DETAIL, _detail_context(request, connection, confirm="rotate"))
    connection_rotate_secret(connection=connection, actor=request.user)
    text = "New webhook secret made. The old one no longer works: give this one to the provider."
    return _secret_response(request, connection, text=text, secret_shown=True, secret_new=True)


@require_POST
@login_required
def connection_register_webhook_view(request: HtmxHttpRequest, pk) -> HttpResponse:
    connection = _connection_or_404(request, pk)
    label = supports(connection.provider).label
    try:
        connection_register_webhook(connection=connection, actor=request.user)
    except ConnectionSettingsError as exc:
        return _done(request, connection, "webhook", str(exc), error=True, status=422)
    except ProviderError as exc:
        return _done(
            request, connection, "webhook", f"Not registered: {exc}", error=True, status=422
        )
    return _done(request, connection, "webhook", f"Webhook URL registered with {label}.")


@require_POST
@login_required
def connection_sync_view(request: HtmxHttpRequest, pk) -> HttpResponse:
    """Sync now. With eager tasks (the embedded mode) it has finished when this returns."""
    connection = _connection_or_404(request, pk)
    form = SyncForm(request.POST)
    full = form.is_valid() and form.cleaned_data["full"]
    requested_at = timezone.now().replace(microsecond=0)
    try:
        connection_sync_start(connection=connection, actor=request.user, full=full)
    except ConnectionSettingsError as exc:
        return _done(request, connection, "sync", f"Not synced: {exc}", error=True, status=422)
    connection.refresh_from_db()
    if connection.sync_state == ProviderConnection.SyncState.RUNNING or (
        connection.last_sync_started_at is None or connection.last_sync_started_at < requested_at
    ):
        text = "Sync started."
    elif connection.sync_state == ProviderConnection.SyncState.FAILED:
        return _done(
            request,
            connection,
            "sync",
            f"Sync stopped: {connection.last_sync_error}",
            error=True,
            nav=True,
            requested_at=requested_at,
        )
    else:
        text = _sync_summary(connection.sync_progress or {})
    return _done(request, connection, "sync", text, nav=True, requested_at=requested_at)


def _sync_summary(progress: dict[str, Any]) -> str:
    seen = int(progress.get("seen") or 0)
    if not seen:
        return "Sync finished: nothing new at the provider."
    parts = [_count(seen, "session", "sessions") + " read"]
    for key, one, many in (
        ("created", "new", "new"),
        ("changed", "changed", "changed"),
        ("tasks_opened", "task opened", "tasks opened"),
        ("failed", "skipped", "skipped"),
    ):
        if progress.get(key):
            parts.append(_count(int(progress[key]), one, many))
    return "Sync finished: " + ", ".join(parts) + "."


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@require_POST
@login_required
def connection_disconnect_view(request: HtmxHttpRequest, pk) -> HttpResponse:
    """Deactivate the connection; its sessions and tasks stay."""
    connection = _connection_or_404(request, pk)
    if not connection.is_active:
        return _done(request, connection, "danger", "This connection is already disconnected.")
    if not _confirmed(request):
        return render_page(
            request, DETAIL, _detail_context(request, connection, confirm="disconnect")
        )
    connection_disconnect(connection=connection, actor=request.user)
    messages.success(
        request,
        f"{connection.name} disconnected. Its sessions stay; it takes no more webhooks or syncs.",
    )
    url = reverse("connection-detail", args=[connection.pk])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)
