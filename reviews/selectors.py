"""Read helpers of the review screens: nav counts, queue pages, facts, pairs, timeline.

Everything here reads; nothing writes. Every query starts from ``.visible_to(user)``
so a selector can never show another project's rows. Lists page by keyset
(a cursor on the sort columns), never by OFFSET and never with a COUNT over the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kycdash.accounts.models import (
    ASSIGNING_ROLES,
    AUDIT_READING_ROLES,
    DECIDING_ROLES,
    MANAGING_ROLES,
    SECOND_APPROVER_ROLES,
    Membership,
    Project,
    may_manage,
)
from kycdash.audit.models import AuditEvent
from providers.base import EvidenceKind
from providers.registry import adapter_class, load_adapters
from reviews.models import (
    Decision,
    Evidence,
    Note,
    Outcome,
    Queue,
    ReviewTask,
    VerificationSession,
    WriteBack,
)

QUEUE_PAGE_SIZE = 50
SESSION_PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 100
TIMELINE_LIMIT = 200

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# ---------------------------------------------------------------- providers


def provider_label(name: str) -> str:
    """The provider's human name from its adapter ('Incode Omni'), or the raw name."""
    load_adapters()
    try:
        return adapter_class(name).label
    except (KeyError, AttributeError):
        return name.replace("_", " ").title()


def provider_choices_for(user) -> list[tuple[str, str]]:
    """Providers connected in the user's projects, for the queue filter."""
    from providers.models import ProviderConnection

    names = (
        ProviderConnection.objects.visible_to(user)
        .order_by()
        .values_list("provider", flat=True)
        .distinct()
    )
    return sorted(((name, provider_label(name)) for name in set(names)), key=lambda c: c[1])


# ---------------------------------------------------------------- roles


def has_role_anywhere(user, roles: frozenset[str]) -> bool:
    """Whether the user holds one of ``roles`` in at least one project."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, role__in=roles).exists()


def may_read_audit(user) -> bool:
    return has_role_anywhere(user, AUDIT_READING_ROLES)


def may_decide_somewhere(user, project: Project | None) -> bool:
    """May the user claim in this scope (the chosen project, or any of theirs)?"""
    if user.is_superuser:
        return True
    memberships = Membership.objects.filter(user=user, role__in=DECIDING_ROLES)
    if project is not None:
        memberships = memberships.filter(project=project)
    return memberships.exists()


def bulk_selectable(user, tasks: Iterable[ReviewTask]) -> set[int]:
    """Ids of ``tasks`` the user may assign or release in bulk (senior reviewers, admins)."""
    tasks = list(tasks)
    if not tasks or not user.is_authenticated:
        return set()
    if user.is_superuser:
        return {task.pk for task in tasks}
    projects = set(
        Membership.objects.filter(user=user, role__in=ASSIGNING_ROLES).values_list(
            "project_id", flat=True
        )
    )
    return {task.pk for task in tasks if task.session.project_id in projects}


@dataclass(frozen=True)
class AssigneeGroup:
    project: Project
    members: list  # users who may decide in ``project``


def assignee_groups(user, project: Project | None) -> list[AssigneeGroup]:
    """Whom the user may hand tasks to: members with a deciding role, by project,
    in the projects (or the one project in view) where the user assigns."""
    projects = Project.objects.visible_to(user, roles=ASSIGNING_ROLES)
    if project is not None:
        projects = projects.filter(pk=project.pk)
    memberships = (
        Membership.objects.filter(
            project__in=projects, role__in=DECIDING_ROLES, user__is_active=True
        )
        .select_related("user", "project")
        .order_by("project__name", "project_id", "user__username")
    )
    groups: dict[int, AssigneeGroup] = {}
    for membership in memberships:
        group = groups.setdefault(
            membership.project_id, AssigneeGroup(project=membership.project, members=[])
        )
        group.members.append(membership.user)
    return list(groups.values())


# ---------------------------------------------------------------- nav counts


@dataclass(frozen=True)
class QueueCount:
    queue: str
    label: str
    open: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class NavCounts:
    queues: tuple[QueueCount, ...]
    mine: int
    # the Admin section (connections): admins of the project in view, and superusers
    can_manage: bool = False

    def for_queue(self, queue: str) -> QueueCount:
        return next(c for c in self.queues if c.queue == queue)


def nav_counts(
    user, project: Project | None = None, *, now: dt.datetime | None = None
) -> NavCounts:
    """Open and overdue tasks per queue, and the user's own: one grouped query.

    Counting the *open* tasks of a queue is cheap (the (queue, state, sla_due_at)
    index); it is never a count over every task ever opened.
    """
    now = now or timezone.now()
    tasks = ReviewTask.objects.visible_to(user).open()
    if project is not None:
        tasks = tasks.in_project(project)
    rows = (
        tasks.order_by()
        .values("queue")
        .annotate(
            open_count=Count("id"),
            overdue_count=Count("id", filter=Q(sla_due_at__lt=now)),
            mine_count=Count("id", filter=Q(assignee=user)),
        )
    )
    by_queue = {row["queue"]: row for row in rows}
    queues = tuple(
        QueueCount(
            queue=value,
            label=label,
            open=by_queue.get(value, {}).get("open_count", 0),
            overdue=by_queue.get(value, {}).get("overdue_count", 0),
        )
        for value, label in Queue.choices
    )
    mine = sum(row["mine_count"] for row in by_queue.values())
    can_manage = (
        may_manage(user, project)
        if project is not None
        else has_role_anywhere(user, MANAGING_ROLES)
    )
    return NavCounts(queues=queues, mine=mine, can_manage=can_manage)


# ---------------------------------------------------------------- keyset cursors


def encode_cursor(moment: dt.datetime, pk: int) -> str:
    """'<microseconds since epoch>.<id>': exact, URL-safe, no time zone to mangle."""
    delta = moment - EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}.{pk}"


def decode_cursor(value: str) -> tuple[dt.datetime, int]:
    """The inverse of ``encode_cursor``; raises ValueError on anything else."""
    micros, _, pk = value.partition(".")
    if not micros.lstrip("-").isdigit() or not pk.isdigit():
        raise ValueError("not a cursor")
    return EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)


@dataclass
class Page:
    rows: list
    next_cursor: str | None = None


# ---------------------------------------------------------------- queues


AGE_CHOICES = (("", "Any age"), ("1h", "< 1 h"), ("24h", "< 24 h"), ("older", "Older"))
ASSIGNEE_CHOICES = (("any", "Anyone"), ("me", "Me"), ("unassigned", "Unassigned"))


@dataclass(frozen=True)
class QueueFilters:
    project: Project | None = None
    provider: str = ""
    reason: str = ""
    age: str = ""
    assignee: str = "any"
    after: str = ""


def queue_tasks(user, queue: str, filters: QueueFilters, *, now: dt.datetime | None = None) -> Page:
    """One page of a queue's not-done tasks, by SLA due then id (keyset "next 50")."""
    now = now or timezone.now()
    tasks = (
        ReviewTask.objects.visible_to(user)
        .open()
        .in_queue(queue)
        .select_related("session__connection", "assignee")
    )
    if filters.project is not None:
        tasks = tasks.in_project(filters.project)
    if filters.provider:
        tasks = tasks.filter(session__connection__provider=filters.provider)
    if filters.reason:
        tasks = tasks.filter(reason__icontains=filters.reason)
    if filters.age == "1h":
        tasks = tasks.filter(opened_at__gte=now - dt.timedelta(hours=1))
    elif filters.age == "24h":
        tasks = tasks.filter(opened_at__gte=now - dt.timedelta(hours=24))
    elif filters.age == "older":
        tasks = tasks.filter(opened_at__lt=now - dt.timedelta(hours=24))
    if filters.assignee == "me":
        tasks = tasks.filter(assignee=user)
    elif filters.assignee == "unassigned":
        tasks = tasks.filter(assignee__isnull=True)
    if filters.after:
        due, pk = decode_cursor(filters.after)
        tasks = tasks.filter(Q(sla_due_at__gt=due) | Q(sla_due_at=due, id__gt=pk))
    rows = list(tasks.order_by("sla_due_at", "id")[: QUEUE_PAGE_SIZE + 1])
    next_cursor = None
    if len(rows) > QUEUE_PAGE_SIZE:
        rows = rows[:QUEUE_PAGE_SIZE]
        next_cursor = encode_cursor(rows[-1].sla_due_at, rows[-1].pk)
    return Page(rows, next_cursor)


def my_tasks(user, project: Project | None = None) -> list[ReviewTask]:
    """Tasks the user holds: claimed, or proposed by them and awaiting a second reviewer."""
    tasks = (
        ReviewTask.objects.visible_to(user)
        .open()
        .filter(assignee=user)
        .select_related("session__connection", "assignee")
    )
    if project is not None:
        tasks = tasks.in_project(project)
    return list(tasks.order_by("sla_due_at", "id")[:200])


def awaiting_my_second_approval(user, project: Project | None = None) -> list[ReviewTask]:
    """Four-eyes proposals by someone else, in projects where the user is a senior reviewer."""
    tasks = (
        ReviewTask.objects.visible_to(user, roles=SECOND_APPROVER_ROLES)
        .filter(state=ReviewTask.State.AWAITING_SECOND)
        .exclude(assignee=user)
        .select_related("session__connection", "assignee")
    )
    if project is not None:
        tasks = tasks.in_project(project)
    return list(tasks.order_by("sla_due_at", "id")[:200])


# ---------------------------------------------------------------- sessions


def session_list(
    user, *, project: Project | None, text: str = "", status: str = "", after: str = ""
) -> Page:
    """Visible sessions, most recently ingested first (keyset on last_ingested_at, id)."""
    sessions = VerificationSession.objects.visible_to(user).select_related("connection")
    if project is not None:
        sessions = sessions.in_project(project)
    if text:
        sessions = sessions.search(text)
    if status:
        sessions = sessions.filter(status=status)
    if after:
        moment, pk = decode_cursor(after)
        sessions = sessions.filter(
            Q(last_ingested_at__lt=moment) | Q(last_ingested_at=moment, id__lt=pk)
        )
    rows = list(sessions.order_by("-last_ingested_at", "-id")[: SESSION_PAGE_SIZE + 1])
    next_cursor = None
    if len(rows) > SESSION_PAGE_SIZE:
        rows = rows[:SESSION_PAGE_SIZE]
        next_cursor = encode_cursor(rows[-1].last_ingested_at, rows[-1].pk)
    # Open tasks of this page's sessions only: an annotation on the listing query
    # would group every visible session before the LIMIT applies.
    open_counts = dict(
        ReviewTask.objects.open()
        .filter(session__in=[row.pk for row in rows])
        .order_by()
        .values_list("session")
        .annotate(n=Count("id"))
    )
    for row in rows:
        row.open_tasks = open_counts.get(row.pk, 0)
    return Page(rows, next_cursor)


def colliding_session(session: VerificationSession, user) -> VerificationSession | None:
    """The session an antifraud finding points at: same connection, and only if visible."""
    other_id = (session.antifraud or {}).get("colliding_external_id") or ""
    if not other_id:
        return None
    return (
        VerificationSession.objects.visible_to(user)
        .filter(connection_id=session.connection_id, external_id=other_id)
        .exclude(pk=session.pk)
        .first()
    )


@dataclass
class RelatedRow:
    external_id: str
    relation: str
    status: str
    created_at: dt.datetime | None
    local: VerificationSession | None  # the same session in kycdash, when visible


def related_sessions(session: VerificationSession, user) -> list[RelatedRow]:
    """The provider's other sessions of this identity (re-authentications, earlier
    verifications…), each linked to kycdash's copy when the user can see it."""
    related = [r for r in session.related or [] if r.get("external_id")]
    if not related:
        return []
    local = {
        s.external_id: s
        for s in VerificationSession.objects.visible_to(user).filter(
            connection_id=session.connection_id,
            external_id__in=[r["external_id"] for r in related],
        )
    }
    return [
        RelatedRow(
            external_id=r["external_id"],
            relation=str(r.get("relation", "")).replace("_", " "),
            status=str(r.get("status", "")),
            created_at=parse_datetime(r["created_at"]) if r.get("created_at") else None,
            local=local.get(r["external_id"]),
        )
        for r in related
    ]


# ---------------------------------------------------------------- facts


PERSON_FIELDS: tuple[tuple[str, str], ...] = (
    ("full_name", "Full name"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("birth_date", "Birth date"),
    ("gender", "Gender"),
    ("nationality", "Nationality"),
    ("document_type", "Document type"),
    ("document_number", "Document number"),
    ("issuing_country", "Issuing country"),
    ("expiry_date", "Expiry date"),
    ("address", "Address"),
    ("email", "Email"),
    ("phone", "Phone"),
)
# Masked until a reviewer asks to see them; each reveal is audited.
MASKED_FIELDS = frozenset({"document_number", "birth_date"})


def mask_value(field_name: str, value: str) -> str:
    if field_name == "birth_date":
        return "••••-••-••"
    if len(value) <= 4:
        return "•" * len(value)
    return "•" * (len(value) - 2) + value[-2:]


@dataclass(frozen=True)
class FactRow:
    field: str
    label: str
    value: str
    source: str
    confidence: float | None = None
    masked: bool = False  # the value is secret until revealed
    shown: str = ""  # what the page prints: the value, or its mask


def person_facts(session: VerificationSession, *, revealed: Iterable[str] = ()) -> list[FactRow]:
    """The person data as table rows: field, value, source, confidence; PII masked."""
    person: dict[str, Any] = session.person or {}
    confidences: dict[str, Any] = person.get("confidences") or {}
    source = provider_label(session.connection.provider)
    revealed = set(revealed)
    rows = []
    for name, label in PERSON_FIELDS:
        value = person.get(name)
        if value in (None, ""):
            continue
        value = str(value)
        masked = name in MASKED_FIELDS and name not in revealed
        confidence = confidences.get(name)
        rows.append(
            FactRow(
                field=name,
                label=label,
                value=value,
                source=source,
                confidence=float(confidence) if isinstance(confidence, int | float) else None,
                masked=masked,
                shown=mask_value(name, value) if masked else value,
            )
        )
    return rows


def reveal_value(session: VerificationSession, field_name: str) -> str | None:
    """The clear value of a masked field, or None when it is not a maskable field."""
    if field_name not in MASKED_FIELDS:
        return None
    value = (session.person or {}).get(field_name)
    return str(value) if value not in (None, "") else None


@dataclass(frozen=True)
class PoaRow:
    label: str
    poa_value: str
    id_value: str
    confidence: float | None


def poa_comparison(session: VerificationSession) -> list[PoaRow]:
    """PoA fields with their per-field confidence, beside what the ID says."""
    poa: dict[str, Any] = session.poa or {}
    if not poa:
        return []
    person: dict[str, Any] = session.person or {}
    scores: dict[str, Any] = poa.get("field_scores") or {}

    def score(name: str) -> float | None:
        value = scores.get(name)
        return float(value) if isinstance(value, int | float) else None

    return [
        PoaRow("Name", poa.get("name") or "", person.get("full_name") or "", score("name")),
        PoaRow("Address", poa.get("address") or "", person.get("address") or "", score("address")),
        PoaRow("Document type", poa.get("document_type") or "", "", score("document_type")),
        PoaRow("Issue date", poa.get("issue_date") or "", "", score("issue_date")),
    ]


@dataclass(frozen=True)
class CheckGroup:
    name: str
    checks: list[dict]


def grouped_checks(session: VerificationSession) -> list[CheckGroup]:
    """Checks grouped as the provider groups them, failures first within a group."""
    order = {"fail": 0, "manual": 1, "warn": 2, "unknown": 3, "ok": 4}
    groups: dict[str, list[dict]] = {}
    for check in session.checks or []:
        if not isinstance(check, dict):
            continue
        groups.setdefault(check.get("group") or "Checks", []).append(check)
    return [
        CheckGroup(name, sorted(checks, key=lambda c: order.get(c.get("status"), 5)))
        for name, checks in groups.items()
    ]


def split_checks(groups: list[CheckGroup]) -> tuple[list[CheckGroup], list[CheckGroup]]:
    """(checks that need a look, checks that passed), each still grouped.

    A provider reports dozens of passing checks; the reviewer reads the others first.
    """
    attention, passed = [], []
    for group in groups:
        needs = [c for c in group.checks if c.get("status") != "ok"]
        fine = [c for c in group.checks if c.get("status") == "ok"]
        if needs:
            attention.append(CheckGroup(group.name, needs))
        if fine:
            passed.append(CheckGroup(group.name, fine))
    return attention, passed


def check_summary(session: VerificationSession) -> dict[str, int]:
    summary = {"fail": 0, "manual": 0, "warn": 0, "unknown": 0, "ok": 0}
    for check in session.checks or []:
        if isinstance(check, dict) and check.get("status") in summary:
            summary[check["status"]] += 1
    return summary


# ---------------------------------------------------------------- evidence & compare

KIND_ORDER = (
    EvidenceKind.FRONT,
    EvidenceKind.BACK,
    EvidenceKind.SELFIE,
    EvidenceKind.PORTRAIT,
    EvidenceKind.POA,
    EvidenceKind.VIDEO_FRAME,
    EvidenceKind.OTHER,
)


def session_evidence(session: VerificationSession) -> list[Evidence]:
    items = list(session.evidence.all())
    rank = {kind: n for n, kind in enumerate(KIND_ORDER)}
    return sorted(items, key=lambda e: (rank.get(e.kind, 99), e.pk))


@dataclass(frozen=True)
class ComparePair:
    key: str
    title: str
    left: Evidence
    right: Evidence
    left_title: str
    right_title: str
    other_session: VerificationSession | None = None


def _first(items: list[Evidence], *kinds: str) -> Evidence | None:
    for kind in kinds:
        for item in items:
            if item.kind == kind and item.is_image:
                return item
    return None


def _first_any(items: list[Evidence], *kinds: str) -> Evidence | None:
    for kind in kinds:
        for item in items:
            if item.kind == kind:
                return item
    return None


def compare_pairs(
    session: VerificationSession,
    evidence: list[Evidence],
    *,
    queue: str = "",
    other: VerificationSession | None = None,
) -> list[ComparePair]:
    """The side-by-side views that make sense here, the one for this queue first."""
    pairs: list[ComparePair] = []
    selfie = _first(evidence, EvidenceKind.SELFIE)
    id_face = _first(evidence, EvidenceKind.PORTRAIT, EvidenceKind.FRONT)
    if selfie and id_face:
        id_title = "ID portrait" if id_face.kind == EvidenceKind.PORTRAIT else "ID front"
        pairs.append(
            ComparePair("face", f"Selfie ↔ {id_title}", selfie, id_face, "Selfie", id_title)
        )
    poa = _first_any(evidence, EvidenceKind.POA)
    front = _first(evidence, EvidenceKind.FRONT)
    if poa and front and poa.is_image:
        pairs.append(
            ComparePair("poa", "PoA document ↔ ID front", poa, front, "PoA document", "ID front")
        )
    if other is not None:
        theirs = session_evidence(other)
        kinds = (EvidenceKind.SELFIE, EvidenceKind.PORTRAIT, EvidenceKind.FRONT)
        mine, their = _first(evidence, *kinds), _first(theirs, *kinds)
        if mine and their:
            pairs.append(
                ComparePair(
                    "collision",
                    "This session ↔ the colliding session",
                    mine,
                    their,
                    f"This session ({mine.get_kind_display()})",
                    f"{other.external_id} ({their.get_kind_display()})",
                    other_session=other,
                )
            )
    primary = {Queue.POA: "poa", Queue.ANTIFRAUD: "collision"}.get(queue, "face")
    pairs.sort(key=lambda p: p.key != primary)
    return pairs


# ---------------------------------------------------------------- decisions & write-backs


def task_decisions(task: ReviewTask) -> list[Decision]:
    """The task's decisions, newest first, with their write-back and its attempts."""
    decisions = list(
        task.decisions.select_related("reviewer", "second_reviewer").order_by("-created_at", "-id")
    )
    writebacks = {
        wb.decision_id: wb
        for wb in WriteBack.objects.filter(decision__in=decisions).prefetch_related("attempt_log")
    }
    for decision in decisions:
        decision.writeback_row = writebacks.get(decision.pk)
    return decisions


def proposed_decision(task: ReviewTask) -> Decision | None:
    if task.state != ReviewTask.State.AWAITING_SECOND:
        return None
    return (
        task.decisions.filter(state=Decision.State.PROPOSED)
        .select_related("reviewer")
        .order_by("-created_at", "-id")
        .first()
    )


# ---------------------------------------------------------------- timeline

# Audit actions that are about looking, not about the case; the audit log has them.
TIMELINE_HIDDEN = frozenset({"pii.revealed", "evidence.viewed"})


@dataclass
class TimelineEntry:
    at: dt.datetime
    actor: str
    kind: str  # a CSS hook: ingest, task, claim, decision, writeback, note
    text: str
    detail: str = ""
    tone: str = "muted"
    sort_key: tuple = field(default=(0,))


def _label(choices: Iterable[tuple[str, str]], value: str) -> str:
    return dict(choices).get(value, value.replace("_", " "))


def session_timeline(
    session: VerificationSession, *, limit: int = TIMELINE_LIMIT
) -> list[TimelineEntry]:
    """Everything that happened to the session, newest first.

    Built from the audit rows of the session, its tasks, decisions, write-backs and
    notes (so it shows exactly what the audit trail holds), plus the notes' own text.
    """
    tasks = list(session.tasks.all())
    decisions = list(Decision.objects.filter(task__session=session).values_list("id", flat=True))
    writebacks = list(
        WriteBack.objects.filter(decision__task__session=session).values_list("id", flat=True)
    )
    notes = {
        note.pk: note for note in Note.objects.filter(session=session).select_related("author")
    }
    targets = Q(object_type="reviews.verificationsession", object_id=str(session.pk))
    for object_type, ids in (
        ("reviews.reviewtask", [t.pk for t in tasks]),
        ("reviews.decision", decisions),
        ("reviews.writeback", writebacks),
        ("reviews.note", list(notes)),
    ):
        if ids:
            targets |= Q(object_type=object_type, object_id__in=[str(i) for i in ids])
    events = list(
        AuditEvent.objects.filter(targets)
        .exclude(action__in=TIMELINE_HIDDEN)
        .order_by("-seq")[:limit]
    )
    task_by_id = {str(t.pk): t for t in tasks}
    entries = [_entry(event, task_by_id, notes) for event in events]
    entries.sort(key=lambda e: (e.at, e.sort_key), reverse=True)
    return entries[:limit]


def _entry(
    event: AuditEvent, task_by_id: dict[str, ReviewTask], notes: dict[int, Note]
) -> TimelineEntry:
    data: dict[str, Any] = event.data or {}
    actor = event.actor_label or "system"
    action = event.action
    entry = TimelineEntry(
        at=event.created_at, actor=actor, kind="event", text=action, sort_key=(1, event.seq)
    )
    task = task_by_id.get(str(data.get("task", event.object_id)))
    task_name = f"task #{task.pk} ({task.get_queue_display()})" if task else "the task"
    if action == "session.ingested":
        entry.kind = "ingest"
        # the ingest's actor label is "<provider>:<source>"
        provider = actor.split(":", 1)[0]
        entry.actor = provider_label(provider) if provider else actor
        parts = [f"status {data.get('status', '?')}"]
        if data.get("provider_status"):
            parts.append(f"provider status {data['provider_status']}")
        if data.get("evidence_added"):
            parts.append(f"{data['evidence_added']} evidence file(s) added")
        verb = "Received" if data.get("created") else "Updated"
        entry.text = f"{verb} from {entry.actor} ({data.get('source', 'sync')}): " + ", ".join(
            parts
        )
    elif action == "task.opened":
        entry.kind = "task"
        entry.tone = "warn"
        entry.actor = "kycdash"
        where = task.get_queue_display() if task else data.get("queue", "a queue")
        entry.text = f"Task #{event.object_id} opened in {where}: {data.get('reason', '')}"
    elif action in ("task.claimed", "task.released"):
        entry.kind = "claim"
        entry.tone = "info"
        verb = "claimed" if action == "task.claimed" else "released"
        entry.text = f"{actor} {verb} {task_name}"
    elif action.startswith("decision."):
        entry.kind = "decision"
        outcome = _label(Outcome.choices, str(data.get("outcome", "")))
        reason = data.get("reason") or ""
        reason_text = ""
        if reason and task:
            reason_text = f" — {_label(task.reason_codes(), reason)}"
        if action == "decision.made":
            entry.text = f"{actor} decided {task_name}: {outcome}{reason_text}"
            entry.tone = "bad" if data.get("outcome") in ("reject", "confirm_fraud") else "ok"
        elif action == "decision.proposed":
            entry.text = (
                f"{actor} proposed {outcome}{reason_text} on {task_name}; "
                "awaiting a second senior reviewer"
            )
            entry.tone = "warn"
        elif action == "decision.confirmed":
            entry.text = f"{actor} confirmed the proposed {outcome} on {task_name}"
            entry.tone = "ok"
        elif action == "decision.returned":
            entry.text = f"{actor} returned the proposal on {task_name} to the queue"
        entry.detail = data.get("note") or ""
    elif action.startswith("writeback."):
        entry.kind = "writeback"
        if action == "writeback.queued":
            entry.text = f"Write-back to {provider_label(data.get('provider', ''))} queued"
        elif action == "writeback.not_supported":
            entry.text = (
                f"{provider_label(data.get('provider', ''))} has no endpoint for this; "
                "the decision stays in kycdash"
            )
        elif action == "writeback.attempted":
            state = data.get("state", "")
            code = data.get("status_code")
            code_text = f" (HTTP {code})" if code else ""
            entry.text = f"Write-back attempt {data.get('attempt', '?')}: {state}{code_text}"
            entry.detail = data.get("error") or ""
            entry.tone = {"sent": "ok", "failed": "bad"}.get(state, "muted")
        elif action == "writeback.retry_requested":
            entry.text = f"{actor} asked to retry the write-back"
    elif action == "note.added":
        entry.kind = "note"
        note = notes.get(int(event.object_id)) if event.object_id.isdigit() else None
        entry.text = f"{actor} added a note"
        entry.detail = note.text if note else ""
    return entry


# ---------------------------------------------------------------- audit log


def audit_events(
    user, *, project: Project | None, action: str = "", before: int | None = None
) -> Page:
    """Audit rows of the projects where the user is an auditor or admin, newest first."""
    events = AuditEvent.objects.visible_to(user, roles=AUDIT_READING_ROLES).select_related(
        "project"
    )
    if project is not None:
        events = events.in_project(project)
    if action:
        events = events.filter(action__startswith=action)
    if before is not None:
        events = events.filter(seq__lt=before)
    rows = list(events.order_by("-seq")[: AUDIT_PAGE_SIZE + 1])
    next_cursor = None
    if len(rows) > AUDIT_PAGE_SIZE:
        rows = rows[:AUDIT_PAGE_SIZE]
        next_cursor = str(rows[-1].seq)
    return Page(rows, next_cursor)


def visible_tasks(user) -> QuerySet[ReviewTask]:
    return ReviewTask.objects.visible_to(user).select_related(
        "session__connection", "session__project", "assignee"
    )
