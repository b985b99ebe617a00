"""Every write to reviews goes through these functions.

Each takes keyword-only arguments, runs in one transaction, checks what the acting
user may do, and appends to the audit trail in that same transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from kycdash.accounts.models import (
    ASSIGNING_ROLES,
    DECIDING_ROLES,
    Membership,
    Project,
    may_assign,
    may_decide,
    may_second_approve,
)
from kycdash.audit.services import audit_record
from providers.base import SessionSnapshot, WriteBackRequest
from providers.models import ProviderConnection
from providers.registry import adapter_for
from reviews import evidence as evidence_store
from reviews.models import (
    OUTCOMES_NEEDING_REASON,
    Decision,
    Evidence,
    Note,
    ReviewTask,
    VerificationSession,
    WriteBack,
)
from reviews.routing import routes_for

logger = logging.getLogger(__name__)

NOTE_MAX_LENGTH = 2000


class ReviewError(Exception):
    """A review action that cannot be done as asked; ``code`` is stable for the API."""

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


# ---------------------------------------------------------------- ingest


@dataclass
class IngestResult:
    session: VerificationSession
    created: bool
    changed: bool
    opened: list[ReviewTask] = field(default_factory=list)


def snapshot_fingerprint(snapshot: SessionSnapshot) -> str:
    """A digest of everything in the snapshot; evidence counts by content hash."""
    content = dataclasses.asdict(dataclasses.replace(snapshot, evidence=(), raw={})) | {
        "evidence": sorted(
            (f.kind, hashlib.sha256(f.content).hexdigest()) for f in snapshot.evidence
        )
    }
    encoded = json.dumps(content, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def session_ingest(
    *, connection: ProviderConnection, snapshot: SessionSnapshot, source: str
) -> IngestResult:
    """Upsert the session and its evidence from a snapshot and open the tasks it calls for.

    Idempotent: a snapshot identical to the last one ingested changes nothing.
    All or nothing: a rejected evidence file (too large, not an image or PDF)
    raises ``EvidenceRejected`` and nothing of the snapshot is kept.
    """
    # Sniff before touching the database so bad files fail fast.
    sniffed = [(f, evidence_store.sniff(f.content)) for f in snapshot.evidence]
    fingerprint = snapshot_fingerprint(snapshot)
    for attempt in range(2):
        try:
            return _ingest(connection, snapshot, source, fingerprint, sniffed)
        except IntegrityError:
            # A concurrent ingest created the same session or task first; the retry sees it.
            if attempt:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def _ingest(connection, snapshot, source, fingerprint, sniffed) -> IngestResult:
    existing = (
        VerificationSession.objects.select_for_update()
        .filter(connection=connection, external_id=snapshot.external_id)
        .first()
    )
    if existing is not None and existing.fingerprint == fingerprint:
        return IngestResult(existing, created=False, changed=False)

    session = existing or VerificationSession(
        project_id=connection.project_id, connection=connection, external_id=snapshot.external_id
    )
    person = snapshot.person
    session.status = snapshot.status
    session.provider_status = snapshot.provider_status[:100]
    session.full_name = person.full_name[:300]
    session.email = person.email[:254]
    session.person = _jsonable(person)
    session.document_type = person.document_type[:60]
    session.checks = [_jsonable(check) for check in snapshot.checks]
    session.scores = dict(snapshot.scores)
    session.overall_score = snapshot.overall_score
    session.antifraud = _jsonable(snapshot.antifraud) if snapshot.antifraud else None
    session.poa = _jsonable(snapshot.poa) if snapshot.poa else None
    session.review_requested = snapshot.review_requested
    session.review_reason = snapshot.review_reason[:300]
    session.watchlist_hit = snapshot.watchlist_hit
    session.related = [_jsonable(related) for related in snapshot.related_sessions]
    session.test_mode = snapshot.test_mode
    session.raw = _jsonable(snapshot.raw)
    session.fingerprint = fingerprint
    session.provider_started_at = snapshot.started_at
    session.provider_updated_at = snapshot.updated_at
    session.last_ingested_at = timezone.now()
    with transaction.atomic():
        session.save()

    stored = _store_evidence(session, sniffed)
    opened = _open_tasks(session, snapshot)
    audit_record(
        action="session.ingested",
        project=session.project,
        obj=session,
        actor_label=f"{connection.provider}:{source}",
        data={
            "source": source,
            "created": existing is None,
            "status": session.status,
            "provider_status": session.provider_status,
            "evidence_added": stored,
            "tasks_opened": [task.pk for task in opened],
        },
    )
    return IngestResult(session, created=existing is None, changed=True, opened=opened)


def _store_evidence(session: VerificationSession, sniffed) -> int:
    known = set(session.evidence.values_list("kind", "sha256"))
    added = 0
    for file, info in sniffed:
        if (file.kind, info.sha256) in known:
            continue
        name, thumbnail = evidence_store.store(file.content, info, project_id=session.project_id)
        Evidence.objects.create(
            session=session,
            kind=file.kind,
            external_ref=file.external_ref[:200],
            content_type=info.content_type,
            sha256=info.sha256,
            size=info.size,
            width=info.width,
            height=info.height,
            file=name,
            thumbnail=thumbnail,
        )
        known.add((file.kind, info.sha256))
        added += 1
    return added


def _open_tasks(session: VerificationSession, snapshot: SessionSnapshot) -> list[ReviewTask]:
    project = session.project
    now = timezone.now()
    opened = []
    for route in routes_for(project, snapshot):
        tasks = ReviewTask.objects.filter(session=session, queue=route.queue)
        if tasks.open().exists() or tasks.filter(trigger=route.trigger[:200]).exists():
            continue
        task = ReviewTask.objects.create(
            session=session,
            queue=route.queue,
            reason=route.reason[:300],
            trigger=route.trigger[:200],
            priority=route.priority,
            opened_at=now,
            sla_due_at=now + dt.timedelta(hours=project.sla_hours(route.queue)),
        )
        audit_record(
            action="task.opened",
            project=project,
            obj=task,
            actor_label=f"{session.connection.provider}:routing",
            data={"session": session.pk, "queue": task.queue, "reason": task.reason},
        )
        opened.append(task)
    return opened


def _jsonable(value) -> dict:
    if dataclasses.is_dataclass(value):
        value = dataclasses.asdict(value)
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str))


# ---------------------------------------------------------------- claim


def _locked_task(task_id: int) -> ReviewTask:
    return ReviewTask.objects.select_for_update().select_related("session__project").get(pk=task_id)


@transaction.atomic
def task_claim(*, task: ReviewTask, user) -> ReviewTask:
    """Assign an open task to ``user``. Claiming one's own claimed task is a no-op."""
    task = _locked_task(task.pk)
    _require_decider(user, task.project)
    if task.state == ReviewTask.State.CLAIMED and task.assignee_id == user.pk:
        return task
    if task.state != ReviewTask.State.OPEN:
        raise ReviewError(_state_message(task), code="not_claimable")
    _assign(task, user)
    return task


@transaction.atomic
def task_claim_next(
    *,
    user,
    queue: str,
    project: Project | None = None,
    provider: str = "",
    reason_contains: str = "",
) -> ReviewTask | None:
    """Claim the open task with the earliest SLA in ``queue``, never one another claims.

    ``provider`` and ``reason_contains`` narrow the choice the way the queue page's
    filters do, so "Claim next" on a filtered queue takes the next task of that view.
    ``skip_locked`` lets concurrent reviewers pass over rows another transaction
    is claiming, so no two ever get the same task (PostgreSQL; SQLite serializes writes).
    """
    if project is not None:
        _require_decider(user, project)
    elif not user.is_superuser and not user.memberships.filter(role__in=DECIDING_ROLES).exists():
        raise PermissionDenied("Your role cannot decide review tasks in any project.")
    candidates = (
        ReviewTask.objects.visible_to(user, roles=DECIDING_ROLES).in_queue(queue).claimable()
    )
    if project is not None:
        candidates = candidates.in_project(project)
    if provider:
        candidates = candidates.filter(session__connection__provider=provider)
    if reason_contains.strip():
        candidates = candidates.filter(reason__icontains=reason_contains.strip())
    task = (
        candidates.by_sla()
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("session__project")
        .first()
    )
    if task is None:
        return None
    _assign(task, user)
    return task


def _assign(task: ReviewTask, user) -> None:
    task.state = ReviewTask.State.CLAIMED
    task.assignee = user
    task.claimed_at = timezone.now()
    task.save(update_fields=["state", "assignee", "claimed_at"])
    audit_record(action="task.claimed", actor=user, project=task.project, obj=task)


@transaction.atomic
def task_release(*, task: ReviewTask, user) -> ReviewTask:
    """Put a claimed task back in the queue (its assignee, or a senior reviewer/admin)."""
    task = _locked_task(task.pk)
    if task.state != ReviewTask.State.CLAIMED:
        raise ReviewError(_state_message(task), code="not_claimed")
    if task.assignee_id != user.pk and not may_assign(user, task.project):
        raise PermissionDenied(
            "Only the assignee, a senior reviewer or an admin can release this task."
        )
    task.state = ReviewTask.State.OPEN
    task.assignee = None
    task.claimed_at = None
    task.save(update_fields=["state", "assignee", "claimed_at"])
    audit_record(action="task.released", actor=user, project=task.project, obj=task)
    return task


# ---------------------------------------------------------------- assign


ASSIGNABLE_STATES = frozenset({ReviewTask.State.OPEN, ReviewTask.State.CLAIMED})


@transaction.atomic
def task_assign(*, task: ReviewTask, user, assignee) -> ReviewTask:
    """Hand an open or claimed task to ``assignee`` (a senior reviewer's or admin's call).

    The assignee must hold a deciding role (reviewer, senior reviewer) in the task's
    own project; a superuser without such a membership is not offered and not accepted.
    Assigning a task to the person who already holds it changes nothing.
    """
    task = _locked_task(task.pk)
    project = task.project
    if not may_assign(user, project):
        raise PermissionDenied("Only senior reviewers and admins can assign tasks.")
    if task.state not in ASSIGNABLE_STATES:
        raise ReviewError(_state_message(task), code="not_assignable")
    if (
        assignee is None
        or not assignee.is_active
        or not Membership.objects.filter(
            user=assignee, project=project, role__in=DECIDING_ROLES
        ).exists()
    ):
        name = assignee.get_username() if assignee is not None else "Nobody"
        raise ReviewError(
            f"{name} cannot decide review tasks in {project.name}.", code="invalid_assignee"
        )
    if task.state == ReviewTask.State.CLAIMED and task.assignee_id == assignee.pk:
        return task
    previous = task.assignee.get_username() if task.assignee_id else None
    task.state = ReviewTask.State.CLAIMED
    task.assignee = assignee
    task.claimed_at = timezone.now()
    task.save(update_fields=["state", "assignee", "claimed_at"])
    audit_record(
        action="task.assigned",
        actor=user,
        project=project,
        obj=task,
        data={"from": previous, "to": assignee.get_username()},
    )
    return task


BULK_ACTIONS = ("assign", "release")
BULK_MAX_TASKS = 200
BULK_SKIPS_SHOWN = 5


@dataclass(frozen=True)
class BulkSkip:
    task_id: int
    reason: str  # reads after "task #12 ": "is awaiting a second approval"
    code: str


@dataclass
class BulkResult:
    """What a bulk action did: the tasks changed and, for each other one, why not."""

    action: str
    done: list[int] = field(default_factory=list)
    skipped: list[BulkSkip] = field(default_factory=list)

    def summary(self) -> str:
        """In words, e.g. "7 assigned, 1 skipped: task #12 is awaiting a second approval"."""
        verb = "assigned" if self.action == "assign" else "released"
        text = f"{len(self.done)} {verb}"
        if not self.skipped:
            return f"{text}."
        reasons = [f"task #{skip.task_id} {skip.reason}" for skip in self.skipped]
        if len(reasons) > BULK_SKIPS_SHOWN:
            more = len(reasons) - BULK_SKIPS_SHOWN
            reasons = [*reasons[:BULK_SKIPS_SHOWN], f"and {more} more"]
        return f"{text}, {len(self.skipped)} skipped: {'; '.join(reasons)}."


def tasks_bulk(*, task_ids: Iterable[int], user, action: str, assignee=None) -> BulkResult:
    """Assign or release several tasks, each on its own, collecting what could not be done.

    Not one transaction on purpose: every task goes through ``task_assign`` or
    ``task_release`` (each atomic and audited), so one refused task leaves the
    others done. Ids the user cannot see are skipped as "not found", never touched.
    """
    if not user.is_superuser and not user.memberships.filter(role__in=ASSIGNING_ROLES).exists():
        raise PermissionDenied("Only senior reviewers and admins can assign or release in bulk.")
    if action not in BULK_ACTIONS:
        raise ReviewError("Choose assign or release.", code="invalid_action")
    ids = list(dict.fromkeys(int(pk) for pk in task_ids))
    if not ids:
        raise ReviewError("Select at least one task.", code="nothing_selected")
    if len(ids) > BULK_MAX_TASKS:
        raise ReviewError(
            f"Select at most {BULK_MAX_TASKS} tasks at a time.", code="too_many_tasks"
        )
    if action == "assign" and assignee is None:
        raise ReviewError("Choose whom to assign the tasks to.", code="assignee_required")
    visible = ReviewTask.objects.visible_to(user).select_related("session__project")
    found = {task.pk: task for task in visible.filter(pk__in=ids)}
    result = BulkResult(action=action)
    for pk in ids:
        task = found.get(pk)
        if task is None:
            result.skipped.append(BulkSkip(pk, "was not found", "not_found"))
            continue
        try:
            if action == "assign":
                task_assign(task=task, user=user, assignee=assignee)
            else:
                task_release(task=task, user=user)
        except ReviewError as exc:
            result.skipped.append(BulkSkip(pk, _as_phrase(exc.message), exc.code))
        except PermissionDenied:
            reason = f"is in {task.project.name}, where your role cannot {action} it"
            result.skipped.append(BulkSkip(pk, reason, "permission_denied"))
        else:
            result.done.append(pk)
    return result


def _as_phrase(message: str) -> str:
    """ "This task is already decided." -> "is already decided", to follow "task #12"."""
    message = message.rstrip(".")
    if message.startswith("This task "):
        return message.removeprefix("This task ")
    return f"— {message}"


# ---------------------------------------------------------------- decide


@transaction.atomic
def decision_record(
    *, task: ReviewTask, reviewer, outcome: str, reason: str = "", note: str = ""
) -> Decision:
    """Decide a task. Final at once, or proposed when the project wants four eyes.

    An open task is claimed by the decision; a task claimed by someone else is not
    the reviewer's to decide. A final decision gets its write-back row in this
    same transaction; delivery is queued once the transaction commits.
    """
    task = _locked_task(task.pk)
    project = task.project
    _require_decider(reviewer, project)
    if task.state == ReviewTask.State.OPEN:
        _assign(task, reviewer)
    elif task.state != ReviewTask.State.CLAIMED:
        raise ReviewError(_state_message(task), code="not_decidable")
    elif task.assignee_id != reviewer.pk:
        raise ReviewError(
            f"This task is claimed by {task.assignee.get_username()}.", code="claimed_by_other"
        )
    reason, note = reason.strip(), note.strip()
    _validate_decision(task, outcome, reason, note)

    four_eyes = project.requires_four_eyes(task.queue)
    decision = Decision.objects.create(
        task=task,
        reviewer=reviewer,
        outcome=outcome,
        reason=reason,
        note=note,
        state=Decision.State.PROPOSED if four_eyes else Decision.State.FINAL,
    )
    if four_eyes:
        task.state = ReviewTask.State.AWAITING_SECOND
        task.save(update_fields=["state"])
    else:
        _close(task)
    audit_record(
        action="decision.proposed" if four_eyes else "decision.made",
        actor=reviewer,
        project=project,
        obj=decision,
        data={"task": task.pk, "outcome": outcome, "reason": reason, "note": note},
    )
    if not four_eyes:
        _writeback_create(decision)
    return decision


@transaction.atomic
def decision_confirm(*, task: ReviewTask, user, note: str = "") -> Decision:
    """The second, different senior reviewer confirms a proposed decision: it becomes final."""
    task = _locked_task(task.pk)
    decision = _proposal(task, user)
    decision.state = Decision.State.FINAL
    decision.second_reviewer = user
    decision.second_note = note.strip()[:NOTE_MAX_LENGTH]
    decision.second_at = timezone.now()
    decision.save(update_fields=["state", "second_reviewer", "second_note", "second_at"])
    _close(task)
    audit_record(
        action="decision.confirmed",
        actor=user,
        project=task.project,
        obj=decision,
        data={"task": task.pk, "outcome": decision.outcome, "note": decision.second_note},
    )
    _writeback_create(decision)
    return decision


@transaction.atomic
def decision_return(*, task: ReviewTask, user, note: str) -> Decision:
    """The second reviewer sends a proposal back: the task returns to the queue."""
    task = _locked_task(task.pk)
    decision = _proposal(task, user)
    note = note.strip()
    if not note:
        raise ReviewError("Say why the decision goes back.", code="note_required")
    decision.state = Decision.State.RETURNED
    decision.second_reviewer = user
    decision.second_note = note[:NOTE_MAX_LENGTH]
    decision.second_at = timezone.now()
    decision.save(update_fields=["state", "second_reviewer", "second_note", "second_at"])
    task.state = ReviewTask.State.OPEN
    task.assignee = None
    task.claimed_at = None
    task.save(update_fields=["state", "assignee", "claimed_at"])
    audit_record(
        action="decision.returned",
        actor=user,
        project=task.project,
        obj=decision,
        data={"task": task.pk, "note": decision.second_note},
    )
    return decision


def _proposal(task: ReviewTask, user) -> Decision:
    if task.state != ReviewTask.State.AWAITING_SECOND:
        raise ReviewError("This task is not awaiting a second approval.", code="not_awaiting")
    if not may_second_approve(user, task.project):
        raise PermissionDenied("Only a senior reviewer can give the second approval.")
    decision = task.decisions.filter(state=Decision.State.PROPOSED).latest("created_at")
    if decision.reviewer_id == user.pk:
        raise ReviewError(
            "The second approval must come from a different senior reviewer.",
            code="same_reviewer",
        )
    return decision


def _validate_decision(task: ReviewTask, outcome: str, reason: str, note: str) -> None:
    if outcome not in task.outcomes():
        allowed = ", ".join(task.outcomes())
        raise ReviewError(
            f"'{outcome}' is not an outcome of the {task.queue} queue (use {allowed}).",
            code="invalid_outcome",
        )
    codes = {code for code, _ in task.reason_codes()}
    if outcome in OUTCOMES_NEEDING_REASON and not reason:
        raise ReviewError("A reason code is required for this outcome.", code="reason_required")
    if reason and reason not in codes:
        raise ReviewError(
            f"'{reason}' is not a reason code of the {task.queue} queue.", code="invalid_reason"
        )
    if len(note) > NOTE_MAX_LENGTH:
        raise ReviewError(
            f"The note is longer than {NOTE_MAX_LENGTH} characters.", code="note_too_long"
        )


def _close(task: ReviewTask) -> None:
    task.state = ReviewTask.State.DONE
    task.closed_at = timezone.now()
    task.save(update_fields=["state", "closed_at"])


def _require_decider(user, project: Project) -> None:
    if not may_decide(user, project):
        raise PermissionDenied("Your role in this project cannot decide review tasks.")


def _state_message(task: ReviewTask) -> str:
    if task.state == ReviewTask.State.CLAIMED:
        return f"This task is already claimed by {task.assignee.get_username()}."
    if task.state == ReviewTask.State.AWAITING_SECOND:
        return "This task is awaiting a second approval."
    if task.state == ReviewTask.State.DONE:
        return "This task is already decided."
    return "This task is not claimed by anyone."


# ---------------------------------------------------------------- write-back


def _writeback_create(decision: Decision) -> WriteBack:
    task = decision.task
    session = task.session
    adapter = adapter_for(session.connection)
    request = WriteBackRequest(
        external_id=session.external_id,
        queue=task.queue,
        outcome=decision.outcome,
        reason=decision.reason,
        note=decision.note,
        reviewer=decision.reviewer.get_username(),
        idempotency_key=f"kycdash-decision-{decision.pk}",
    )
    supported = adapter.supports_write_back(task.queue)
    writeback = WriteBack.objects.create(
        decision=decision,
        payload=dataclasses.asdict(request),
        idempotency_key=request.idempotency_key,
        state=WriteBack.State.PENDING if supported else WriteBack.State.NOT_SUPPORTED,
    )
    audit_record(
        action="writeback.queued" if supported else "writeback.not_supported",
        project=session.project,
        obj=writeback,
        actor=decision.reviewer,
        data={"decision": decision.pk, "provider": session.connection.provider},
    )
    if supported:
        _enqueue_delivery(writeback)
    return writeback


def _enqueue_delivery(writeback: WriteBack) -> None:
    from reviews.tasks import deliver_writeback

    transaction.on_commit(lambda: deliver_writeback.delay(writeback.pk))


@transaction.atomic
def writeback_retry(*, writeback: WriteBack, user) -> WriteBack:
    """A reviewer asks to send a failed write-back again."""
    writeback = WriteBack.objects.select_for_update().get(pk=writeback.pk)
    project = writeback.decision.task.session.project
    _require_decider(user, project)
    if writeback.state != WriteBack.State.FAILED:
        raise ReviewError("Only a failed write-back can be retried.", code="not_failed")
    writeback.state = WriteBack.State.PENDING
    writeback.next_attempt_at = timezone.now()
    writeback.leased_until = None
    writeback.save(update_fields=["state", "next_attempt_at", "leased_until"])
    audit_record(action="writeback.retry_requested", actor=user, project=project, obj=writeback)
    _enqueue_delivery(writeback)
    return writeback


# ---------------------------------------------------------------- notes and views


@transaction.atomic
def note_add(
    *, session: VerificationSession, user, text: str, task: ReviewTask | None = None
) -> Note:
    text = text.strip()
    if not text:
        raise ReviewError("A note cannot be empty.", code="note_required")
    if len(text) > NOTE_MAX_LENGTH:
        raise ReviewError(
            f"The note is longer than {NOTE_MAX_LENGTH} characters.", code="note_too_long"
        )
    _require_decider(user, session.project)
    note = Note.objects.create(session=session, task=task, author=user, text=text)
    audit_record(
        action="note.added",
        actor=user,
        project=session.project,
        obj=note,
        data={"session": session.pk},
    )
    return note


def evidence_viewed(*, evidence: Evidence, user, variant: str = "full") -> None:
    """Record that a person opened an evidence file (PII)."""
    audit_record(
        action="evidence.viewed",
        actor=user,
        project=evidence.session.project,
        obj=evidence,
        data={"session": evidence.session_id, "kind": evidence.kind, "variant": variant},
    )


def pii_revealed(*, session: VerificationSession, user, field_name: str) -> None:
    """Record that a person unmasked a PII field (document number, birth date…)."""
    audit_record(
        action="pii.revealed",
        actor=user,
        project=session.project,
        obj=session,
        data={"field": field_name},
    )
