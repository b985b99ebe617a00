"""The reviewer's screens: home, queues, my tasks, sessions, the case page, evidence, audit.

Views are adapters: they parse the request, look objects up through
``.visible_to(request.user)`` (a missing or foreign object answers 404 and is
audited as ``access.denied``), call a service for every write, and render either a
whole page or, for htmx, the fragments the action changed (``hx-swap-oob`` for the
nav counts and the timeline). Without JavaScript every action is a plain POST that
redirects back, and every page reads fine.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from kycdash.accounts.models import (
    Membership,
    Project,
    may_assign,
    may_decide,
    may_second_approve,
    role_in,
)
from kycdash.accounts.views import safe_next, user_timezone
from kycdash.audit.services import audit_access_denied
from reviews import selectors
from reviews.forms import (
    AuditFilterForm,
    BulkActionForm,
    ClaimNextForm,
    DecisionForm,
    NoteForm,
    QueueFilterForm,
    RevealForm,
    SecondReviewForm,
    SessionSearchForm,
)
from reviews.models import (
    OUTCOMES_NEEDING_REASON,
    Evidence,
    Outcome,
    Queue,
    ReviewTask,
    VerificationSession,
    WriteBack,
)
from reviews.services import (
    ReviewError,
    decision_confirm,
    decision_record,
    decision_return,
    evidence_viewed,
    note_add,
    pii_revealed,
    task_claim,
    task_claim_next,
    task_release,
    tasks_bulk,
    writeback_retry,
)

# Reveals made without JavaScript: shown once on the page the POST redirects to.
REVEAL_ONCE_SESSION_KEY = "pii_reveal_once"

# Keyboard shortcut and confirmation text of each outcome button.
OUTCOME_KEYS = {
    Outcome.APPROVE: "a",
    Outcome.RESOLVE_FALSE_POSITIVE: "a",
    Outcome.REJECT: "r",
    Outcome.CONFIRM_FRAUD: "r",
}
OUTCOME_DONE_TEXT = {
    Outcome.APPROVE: "Approved",
    Outcome.REJECT: "Rejected",
    Outcome.RESOLVE_FALSE_POSITIVE: "Resolved as a false positive",
    Outcome.CONFIRM_FRAUD: "Fraud confirmed",
}


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    project: Project | None


# ---------------------------------------------------------------- rendering


def frame_context(request: HtmxHttpRequest) -> dict[str, Any]:
    """What the frame (top bar, nav) needs on every page: counts, role, audit access."""
    user = request.user
    project = request.project
    memberships = list(
        Membership.objects.filter(user=user).select_related("project").order_by("project__name")
    )
    current_role = ""
    if project is not None:
        role = role_in(user, project)
        current_role = dict(Membership._meta.get_field("role").choices).get(role, role or "")
    return {
        "nav": selectors.nav_counts(user, project),
        "active_nav": _active_nav(request),
        "memberships": memberships,
        "current_role": current_role,
        "can_read_audit": selectors.may_read_audit(user),
        "path": request.get_full_path(),
    }


def _active_nav(request: HtmxHttpRequest) -> str:
    """Which nav item is the current page ('queue:poa', 'sessions'…), also for fragments."""
    path = request.path
    if request.htmx and request.htmx.current_url_abs_path:
        path = request.htmx.current_url_abs_path.split("?", 1)[0]
    try:
        match = resolve(path)
    except Resolver404:
        return ""
    if match.url_name == "queue":
        return f"queue:{match.kwargs.get('queue', '')}"
    return match.url_name or ""


def render_page(
    request: HtmxHttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """Render a whole page (or a partial of it) in the user's time zone."""
    with timezone.override(user_timezone(request)):
        response = render(request, template, {**frame_context(request), **context}, status=status)
    # The same URL answers a page or a fragment depending on HX-Request.
    patch_vary_headers(response, ("HX-Request",))
    return response


def render_fragments(
    request: HtmxHttpRequest, parts: list[tuple[str, dict[str, Any]]], *, status: int = 200
) -> HttpResponse:
    """Concatenate several fragments: the target first, then ``hx-swap-oob`` pieces."""
    with timezone.override(user_timezone(request)):
        html = "".join(render_to_string(name, ctx, request=request) for name, ctx in parts)
    response = HttpResponse(html, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def wants_fragment(request: HtmxHttpRequest) -> bool:
    # A history restore wants the whole page even though htmx sends it.
    return bool(request.htmx) and not request.htmx.history_restore_request


def get_visible_or_404(request: HttpRequest, queryset: QuerySet, pk: int):
    """The object if the user may see it; otherwise 404, audited without any PII."""
    obj = queryset.visible_to(request.user).filter(pk=pk).first()
    if obj is None:
        audit_access_denied(request)
        raise Http404("Not found.")
    return obj


def _task_queryset() -> QuerySet[ReviewTask]:
    return ReviewTask.objects.select_related("session__connection", "session__project", "assignee")


def _flash(text: str, tone: str = "ok") -> tuple[str, dict[str, Any]]:
    return ("includes/flash.html", {"flash_text": text, "flash_tone": tone, "oob": True})


# ---------------------------------------------------------------- frame pieces


@require_GET
@login_required
def nav(request: HtmxHttpRequest) -> HttpResponse:
    """The left navigation alone, for htmx polling of the live counts."""
    return render_fragments(request, [("includes/nav.html", frame_context(request))])


@require_GET
@login_required
def home(request: HtmxHttpRequest) -> HttpResponse:
    project = request.project
    return render_page(
        request,
        "reviews/home.html",
        {
            "my_tasks": selectors.my_tasks(request.user, project)[:10],
            "awaiting_second": selectors.awaiting_my_second_approval(request.user, project)[:10],
        },
    )


# ---------------------------------------------------------------- queues


def _queue_or_404(queue: str) -> str:
    if queue not in Queue.values:
        raise Http404("No such queue.")
    return queue


def _query_string(request: HttpRequest) -> str:
    return f"?{request.GET.urlencode()}" if request.GET else ""


def _queue_context(request: HtmxHttpRequest, queue: str) -> tuple[dict[str, Any], int]:
    """The queue page for the filters in the query string (also after a bulk POST to
    ``bulk/?<the same filters>``): the table, the filter form, what the user may do."""
    data = request.GET.copy()
    # No project in the URL: start from the project chosen in the top bar.
    if "project" not in data and request.project is not None:
        data["project"] = str(request.project.pk)
    form = QueueFilterForm(data, user=request.user)
    status = 200
    if form.is_valid():
        page = selectors.queue_tasks(request.user, queue, form.filters())
    else:
        page, status = selectors.Page([]), 400
    filters = form.cleaned_data if form.is_valid() else {}
    scope = filters.get("project") if form.is_valid() else request.project
    selectable = selectors.bulk_selectable(request.user, page.rows)
    context = {
        "queue": queue,
        "queue_label": Queue(queue).label,
        "form": form,
        "page": page,
        "filtered": any(filters.get(name) for name in ("provider", "reason", "age"))
        or filters.get("assignee") not in (None, "", "any"),
        "is_first_page": not filters.get("after"),
        "can_claim": selectors.may_decide_somewhere(request.user, scope),
        "scope_project": scope,
        # "Claim next" follows these filters too (hidden copies kept in sync by kycdash.js)
        "claim_provider": filters.get("provider") or "",
        "claim_reason": filters.get("reason") or "",
        "selectable_ids": selectable,
        "assignee_groups": selectors.assignee_groups(request.user, scope) if selectable else [],
        "bulk_url": reverse("queue-bulk", args=[queue]) + _query_string(request),
    }
    return context, status


@require_GET
@login_required
def queue(request: HtmxHttpRequest, queue: str) -> HttpResponse:
    """A queue's open tasks by SLA; filters re-render ``#task-table`` and stay in the URL."""
    queue = _queue_or_404(queue)
    context, status = _queue_context(request, queue)
    template = "reviews/queue.html#task-table" if wants_fragment(request) else "reviews/queue.html"
    return render_page(request, template, context, status=status)


@require_POST
@login_required
def queue_bulk(request: HtmxHttpRequest, queue: str) -> HttpResponse:
    """Assign or release the selected tasks (senior reviewers, admins).

    Posted to ``bulk/`` with the queue's filters in the query string: htmx gets the
    re-rendered table, the nav counts and the result in the live region; without
    JavaScript the POST redirects back to the filtered queue with the result.
    """
    queue = _queue_or_404(queue)
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        return _bulk_answer(
            request, queue, "Select tasks, then choose assign or release.", "bad", status=400
        )
    data = form.cleaned_data
    assignee = None
    if data["assignee"]:
        assignee = get_user_model().objects.filter(pk=data["assignee"]).first()
    try:
        result = tasks_bulk(
            task_ids=data["task"], user=request.user, action=data["action"], assignee=assignee
        )
    except PermissionDenied as exc:
        if wants_fragment(request):
            return render_fragments(request, [_flash(str(exc), "bad")], status=403)
        raise
    except ReviewError as exc:
        return _bulk_answer(request, queue, exc.message, "bad", status=422)
    tone = "ok" if not result.skipped else ("bad" if not result.done else "muted")
    return _bulk_answer(request, queue, result.summary(), tone)


def _bulk_answer(
    request: HtmxHttpRequest, queue: str, text: str, tone: str, *, status: int = 200
) -> HttpResponse:
    if wants_fragment(request):
        context, _ = _queue_context(request, queue)
        return render_fragments(
            request,
            [
                ("reviews/queue.html#task-table", context),
                _flash(text, tone),
                ("includes/nav.html", {**frame_context(request), "oob": True}),
            ],
            status=status,
        )
    level = {"ok": messages.SUCCESS, "bad": messages.ERROR}.get(tone, messages.WARNING)
    messages.add_message(request, level, text)
    return redirect(reverse("queue", args=[queue]) + _query_string(request))


@require_POST
@login_required
def claim_next(request: HtmxHttpRequest, queue: str) -> HttpResponse:
    """Claim the earliest-SLA open task of the queue and go to it."""
    queue = _queue_or_404(queue)
    project = request.project
    project_id = request.POST.get("project", "")
    if project_id:
        if not project_id.isdigit():
            raise Http404("No such project.")
        project = get_visible_or_404(request, Project.objects, int(project_id))
    elif "project" in request.POST:
        project = None  # the filter says "All my projects"
    if not selectors.may_decide_somewhere(request.user, project):
        refusal = "Your role cannot claim review tasks here."
        if wants_fragment(request):
            return render_fragments(request, [_flash(refusal, "bad")], status=403)
        raise PermissionDenied(refusal)
    form = ClaimNextForm(request.POST)
    if not form.is_valid():
        text = "These filters are not valid; clear them and try again."
        if wants_fragment(request):
            return render_fragments(request, [_flash(text, "bad")], status=422)
        messages.error(request, text)
        return redirect("queue", queue=queue)
    provider, reason = form.cleaned_data["provider"], form.cleaned_data["reason"]
    task = task_claim_next(
        user=request.user, queue=queue, project=project, provider=provider, reason_contains=reason
    )
    if task is None:
        text = f"Nothing waiting in {Queue(queue).label}."
        if provider or reason:
            text = f"Nothing waiting in {Queue(queue).label} matches these filters."
        if wants_fragment(request):
            return render_fragments(request, [_flash(text, "muted")])
        messages.info(request, text)
        back = {"project": project_id, "provider": provider, "reason": reason}
        query = urlencode({name: value for name, value in back.items() if value})
        return redirect(reverse("queue", args=[queue]) + (f"?{query}" if query else ""))
    url = reverse("task-detail", args=[task.pk])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    messages.success(request, f"Claimed task #{task.pk}.")
    return redirect(url)


@require_GET
@login_required
def my_tasks(request: HtmxHttpRequest) -> HttpResponse:
    project = request.project
    return render_page(
        request,
        "reviews/my_tasks.html",
        {
            "tasks": selectors.my_tasks(request.user, project),
            "awaiting_second": selectors.awaiting_my_second_approval(request.user, project),
        },
    )


# ---------------------------------------------------------------- sessions


@require_GET
@login_required
def session_list(request: HtmxHttpRequest) -> HttpResponse:
    form = SessionSearchForm(request.GET)
    status = 200
    if form.is_valid():
        page = selectors.session_list(
            request.user,
            project=request.project,
            text=form.cleaned_data["q"],
            status=form.cleaned_data["status"],
            after=form.cleaned_data["after"],
        )
    else:
        page, status = selectors.Page([]), 400
    context = {
        "form": form,
        "page": page,
        "q": form.cleaned_data.get("q", "") if form.is_valid() else "",
        "is_first_page": not (form.is_valid() and form.cleaned_data["after"]),
    }
    template = (
        "reviews/sessions.html#session-table"
        if wants_fragment(request)
        else "reviews/sessions.html"
    )
    return render_page(request, template, context, status=status)


def _pop_revealed(request: HttpRequest, session: VerificationSession) -> set[str]:
    """Fields revealed by a no-JS POST just before; shown on this one page view only."""
    pending = request.session.get(REVEAL_ONCE_SESSION_KEY) or []
    prefix = f"{session.pk}:"
    mine = {item.removeprefix(prefix) for item in pending if item.startswith(prefix)}
    if mine:
        request.session[REVEAL_ONCE_SESSION_KEY] = [i for i in pending if not i.startswith(prefix)]
    return mine


def _facts_context(request: HtmxHttpRequest, session: VerificationSession, queue: str = "") -> dict:
    evidence = selectors.session_evidence(session)
    other = selectors.colliding_session(session, request.user)
    attention, passed = selectors.split_checks(selectors.grouped_checks(session))
    return {
        "attention_checks": attention,
        "passed_checks": passed,
        "session": session,
        "provider_name": selectors.provider_label(session.connection.provider),
        "evidence": evidence,
        "pairs": selectors.compare_pairs(session, evidence, queue=queue, other=other),
        "other_session": other,
        "related_sessions": selectors.related_sessions(session, request.user),
        "facts": selectors.person_facts(session, revealed=_pop_revealed(request, session)),
        "queue": queue,
        "check_summary": selectors.check_summary(session),
        "poa_rows": selectors.poa_comparison(session),
        "session_tasks": list(session.tasks.select_related("assignee").order_by("-opened_at")),
    }


def _timeline_context(
    request: HtmxHttpRequest,
    session: VerificationSession,
    task: ReviewTask | None = None,
    *,
    note_error: str = "",
    note_text: str = "",
    oob: bool = False,
) -> dict[str, Any]:
    return {
        "session": session,
        "task": task,
        "timeline": selectors.session_timeline(session),
        "can_note": may_decide(request.user, session.project),
        "note_error": note_error,
        "note_text": note_text,
        "oob": oob,
    }


@require_GET
@login_required
def session_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    session = get_visible_or_404(
        request, VerificationSession.objects.select_related("connection", "project"), pk
    )
    context = {
        **_facts_context(request, session),
        **_timeline_context(request, session),
    }
    return render_page(request, "reviews/session.html", context)


# ---------------------------------------------------------------- the case page


def _panel_context(
    request: HtmxHttpRequest,
    task: ReviewTask,
    *,
    error: str = "",
    form_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    user = request.user
    project = task.session.project
    can_decide = may_decide(user, project)
    is_senior = may_second_approve(user, project)
    manages_assignment = may_assign(user, project)
    proposal = selectors.proposed_decision(task)
    decisions = selectors.task_decisions(task)
    reasons = dict(task.reason_codes())
    for decision in [*decisions, *([proposal] if proposal else [])]:
        decision.reason_label = reasons.get(decision.reason, decision.reason)
    State = ReviewTask.State
    mine = task.assignee_id == user.pk
    outcomes = [
        {
            "value": value,
            "label": Outcome(value).label,
            "key": OUTCOME_KEYS.get(value, ""),
            "destructive": value in OUTCOMES_NEEDING_REASON,
        }
        for value in task.outcomes()
    ]
    return {
        "task": task,
        "task_done": task.state == State.DONE,
        "project": project,
        "provider_name": selectors.provider_label(task.session.connection.provider),
        "can_decide": can_decide,
        "can_claim": can_decide and task.state == State.OPEN,
        "can_release": task.state == State.CLAIMED and (mine or manages_assignment),
        "can_record": can_decide
        and (task.state == State.OPEN or (task.state == State.CLAIMED and mine)),
        "proposal": proposal,
        "can_second": bool(proposal and is_senior and proposal.reviewer_id != user.pk),
        "decisions": decisions,
        "outcomes": outcomes,
        "reason_codes": task.reason_codes(),
        "panel_error": error,
        "form_data": form_data or {},
        "writeback_pending": any(
            d.writeback_row is not None and d.writeback_row.state == WriteBack.State.PENDING
            for d in decisions
        ),
    }


def _case_context(request: HtmxHttpRequest, task: ReviewTask, **panel: Any) -> dict[str, Any]:
    session = task.session
    return {
        **_facts_context(request, session, queue=task.queue),
        **_timeline_context(request, session, task),
        **_panel_context(request, task, **panel),
        "task_message": panel.get("error", ""),
    }


@require_GET
@login_required
def task_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    task = get_visible_or_404(request, _task_queryset(), pk)
    if wants_fragment(request) and request.htmx.target == "task-panel":
        # The panel polls itself while a write-back is on its way.
        return render_fragments(
            request, [("reviews/task.html#task-panel", _panel_context(request, task))]
        )
    return render_page(request, "reviews/task.html", _case_context(request, task))


def _task_result(
    request: HtmxHttpRequest,
    task: ReviewTask,
    *,
    message: str = "",
    error: str = "",
    status: int = 200,
    form_data: dict[str, Any] | None = None,
) -> HttpResponse:
    """After a task action: the changed fragments (htmx), or redirect / error page."""
    task = _task_queryset().get(pk=task.pk)  # the service changed it
    if wants_fragment(request):
        return render_fragments(
            request,
            [
                (
                    "reviews/task.html#task-panel",
                    _panel_context(request, task, error=error, form_data=form_data),
                ),
                (
                    "includes/task_message.html",
                    {"task_message": error or message, "is_error": bool(error), "oob": True},
                ),
                (
                    "includes/timeline.html",
                    _timeline_context(request, task.session, task, oob=True),
                ),
                ("includes/nav.html", {**frame_context(request), "oob": True}),
            ],
            status=status,
        )
    if status == 403:
        raise PermissionDenied(error)
    if error:
        context = _case_context(request, task, error=error, form_data=form_data)
        context["is_error"] = True
        return render_page(request, "reviews/task.html", context, status=status)
    messages.success(request, message)
    return redirect("task-detail", pk=task.pk)


def _task_action(request: HtmxHttpRequest, pk: int, action, success: str, **form_data):
    """Run a service on a visible task; a refusal becomes a message, never a crash."""
    task = get_visible_or_404(request, _task_queryset(), pk)
    try:
        result = action(task)
    except ReviewError as exc:
        return _task_result(request, task, error=exc.message, status=422, form_data=form_data)
    except PermissionDenied as exc:
        return _task_result(
            request, task, error=str(exc) or "Your role cannot do this.", status=403
        )
    text = success(result) if callable(success) else success
    return _task_result(request, task, message=text)


@require_POST
@login_required
def task_claim_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _task_action(
        request,
        pk,
        lambda task: task_claim(task=task, user=request.user),
        "Claimed. The task is yours.",
    )


@require_POST
@login_required
def task_release_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _task_action(
        request,
        pk,
        lambda task: task_release(task=task, user=request.user),
        "Released. The task is back in the queue.",
    )


def _writeback_words(decision) -> str:
    # Read fresh: the delivery may have run on commit, after the decision was made.
    writeback = WriteBack.objects.filter(decision=decision).first()
    if writeback is None:
        return ""
    provider = selectors.provider_label(decision.task.session.connection.provider)
    if writeback.state == WriteBack.State.NOT_SUPPORTED:
        return f" {provider} has no endpoint for this; the decision stays in kycdash."
    if writeback.state == WriteBack.State.SENT:
        return f" Sent to {provider}."
    if writeback.state == WriteBack.State.FAILED:
        return f" {provider} refused it: {writeback.last_error}"
    return f" Sending to {provider}…"


@require_POST
@login_required
def task_decide(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        task = get_visible_or_404(request, _task_queryset(), pk)
        return _task_result(
            request,
            task,
            error="Choose an outcome; the note may have at most 2,000 characters.",
            status=422,
            form_data=request.POST.dict(),
        )
    data = form.cleaned_data

    def decide(task):
        return decision_record(
            task=task,
            reviewer=request.user,
            outcome=data["outcome"],
            reason=data["reason"],
            note=data["note"],
        )

    def success(decision) -> str:
        done = OUTCOME_DONE_TEXT.get(decision.outcome, "Decided")
        if decision.state == decision.State.PROPOSED:
            return f"{done} — proposed. A second senior reviewer must confirm it."
        return f"{done}.{_writeback_words(decision)}"

    return _task_action(request, pk, decide, success, **data)


@require_POST
@login_required
def task_confirm(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    form = SecondReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _task_action(
        request,
        pk,
        lambda task: decision_confirm(task=task, user=request.user, note=note),
        lambda decision: f"Confirmed. The decision is final.{_writeback_words(decision)}",
    )


@require_POST
@login_required
def task_return(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    form = SecondReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _task_action(
        request,
        pk,
        lambda task: decision_return(task=task, user=request.user, note=note),
        "Returned. The task is back in the queue.",
        second_note=note,
    )


@require_POST
@login_required
def writeback_retry_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    writeback = get_visible_or_404(request, WriteBack.objects.select_related("decision__task"), pk)
    task = writeback.decision.task
    return _task_action(
        request,
        task.pk,
        lambda _task: writeback_retry(writeback=writeback, user=request.user),
        "Retry queued. kycdash will send the decision again.",
    )


# ---------------------------------------------------------------- notes and reveals


@require_POST
@login_required
def note_add_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    session = get_visible_or_404(
        request, VerificationSession.objects.select_related("connection", "project"), pk
    )
    form = NoteForm(request.POST)
    task = None
    text = request.POST.get("text", "")
    error = ""
    if not form.is_valid():
        error = "A note may have at most 2,000 characters."
    else:
        text = form.cleaned_data["text"]
        if form.cleaned_data["task"]:
            task = get_visible_or_404(request, _task_queryset(), form.cleaned_data["task"])
            if task.session_id != session.pk:
                raise Http404("That task is not of this session.")
        try:
            note_add(session=session, user=request.user, text=text, task=task)
        except ReviewError as exc:
            error = exc.message
        except PermissionDenied as exc:
            if not wants_fragment(request):
                raise
            return render_fragments(
                request,
                [
                    ("includes/timeline.html", _timeline_context(request, session, task)),
                    _flash(str(exc), "bad"),
                ],
                status=403,
            )
    back = reverse("task-detail", args=[task.pk]) if task else reverse("session-detail", args=[pk])
    if wants_fragment(request):
        timeline = _timeline_context(
            request, session, task, note_error=error, note_text=text if error else ""
        )
        return render_fragments(
            request,
            [
                ("includes/timeline.html", timeline),
                _flash(error or "Note added.", "bad" if error else "ok"),
            ],
            status=422 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Note added.")
    return redirect(f"{back}#timeline")


@require_POST
@login_required
def pii_reveal(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Unmask one PII field; every reveal is audited."""
    session = get_visible_or_404(
        request, VerificationSession.objects.select_related("connection", "project"), pk
    )
    form = RevealForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Unknown field.", status=400)
    field_name = form.cleaned_data["field"]
    value = selectors.reveal_value(session, field_name)
    if value is None:
        raise Http404("Nothing to reveal.")
    pii_revealed(session=session, user=request.user, field_name=field_name)
    if wants_fragment(request):
        return render_fragments(
            request, [("includes/pii_value.html", {"field": field_name, "value": value})]
        )
    pending = request.session.get(REVEAL_ONCE_SESSION_KEY) or []
    request.session[REVEAL_ONCE_SESSION_KEY] = [*pending, f"{session.pk}:{field_name}"][-20:]
    back = safe_next(request, form.cleaned_data["next"], default="session-list")
    return redirect(f"{back}#facts")


# ---------------------------------------------------------------- evidence


def _file_response(name: str, content_type: str, filename: str) -> HttpResponse:
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle, content_type=content_type, as_attachment=False, filename=filename
    )
    # PII: never cached by the browser or anything in between, never a download prompt.
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = response["Content-Disposition"] or "inline"
    return response


def _evidence_filename(evidence: Evidence, suffix: str, extension: str) -> str:
    safe_id = "".join(c if c.isalnum() or c in "-_" else "_" for c in evidence.session.external_id)
    return f"{safe_id}-{evidence.kind}{suffix}.{extension}"


@require_GET
@login_required
def evidence_file(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The full evidence file; each open is audited as ``evidence.viewed``."""
    evidence = get_visible_or_404(request, Evidence.objects.select_related("session__project"), pk)
    extension = evidence.file.name.rsplit(".", 1)[-1] if "." in evidence.file.name else "bin"
    response = _file_response(
        evidence.file.name, evidence.content_type, _evidence_filename(evidence, "", extension)
    )
    evidence_viewed(evidence=evidence, user=request.user, variant="full")
    return response


@require_GET
@login_required
def evidence_thumb(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The small preview; not audited (it is what the page shows by default)."""
    evidence = get_visible_or_404(request, Evidence.objects.select_related("session__project"), pk)
    if not evidence.thumbnail:
        raise Http404("This evidence has no thumbnail.")
    return _file_response(
        evidence.thumbnail.name, "image/jpeg", _evidence_filename(evidence, "-thumb", "jpg")
    )


# ---------------------------------------------------------------- audit log


@require_GET
@login_required
def audit_log(request: HtmxHttpRequest) -> HttpResponse:
    if not selectors.may_read_audit(request.user):
        raise PermissionDenied("Only auditors and admins can read the audit log.")
    form = AuditFilterForm(request.GET)
    status = 200
    if form.is_valid():
        page = selectors.audit_events(
            request.user,
            project=request.project,
            action=form.cleaned_data["action"],
            before=form.cleaned_data["before"],
        )
    else:
        page, status = selectors.Page([]), 400
    context = {
        "form": form,
        "page": page,
        "is_first_page": not (form.is_valid() and form.cleaned_data["before"]),
    }
    template = "audit/log.html#audit-table" if wants_fragment(request) else "audit/log.html"
    return render_page(request, template, context, status=status)
