"""Which review queues a session belongs in, by the project's rules and the provider's signals.

| queue | opened when |
|---|---|
| poa | PoA confidence in [manual-review, auto-approve threshold), force-manual-review |
|     | is on, or the provider asks for a PoA review |
| status | the provider asks for a human, or the overall score is under the project's minimum |
| antifraud | the provider's antifraud check failed, or a watchlist hit |

A route carries a *trigger*: the same trigger never opens a second task for a
session, so re-ingesting an unchanged signal after a decision reopens nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from kycdash.accounts.models import Project
from providers.base import SessionSnapshot, SessionStatus

SCORED_STATUSES = frozenset(
    {SessionStatus.NEEDS_REVIEW, SessionStatus.APPROVED, SessionStatus.REJECTED}
)


@dataclass(frozen=True)
class Route:
    queue: str
    reason: str
    trigger: str
    priority: int = 2  # 1 high … 3 low


def routes_for(project: Project, snapshot: SessionSnapshot) -> list[Route]:
    """Every queue the snapshot calls for, at most one route per queue, most urgent first."""
    routes = [*_antifraud(snapshot), *_status(project, snapshot), *_poa(project, snapshot)]
    seen: set[str] = set()
    unique = []
    for route in routes:
        if route.queue not in seen:
            seen.add(route.queue)
            unique.append(route)
    return unique


def _antifraud(snapshot: SessionSnapshot) -> list[Route]:
    routes = []
    fraud = snapshot.antifraud
    if fraud is not None and fraud.result == "failed":
        step = fraud.step_name or "unknown step"
        other = (
            f", collides with {fraud.colliding_external_id}" if fraud.colliding_external_id else ""
        )
        routes.append(
            Route(
                "antifraud",
                f"Antifraud check failed at {step}{other}",
                f"antifraud:{step}:{fraud.colliding_external_id}",
                priority=1,
            )
        )
    if snapshot.watchlist_hit:
        routes.append(Route("antifraud", "Watchlist hit", "antifraud:watchlist", priority=1))
    return routes


def _status(project: Project, snapshot: SessionSnapshot) -> list[Route]:
    if snapshot.review_requested:
        why = f" ({snapshot.review_reason})" if snapshot.review_reason else ""
        return [
            Route(
                "status",
                f"Provider asks for manual review{why}",
                f"status:review:{snapshot.provider_status}",
            )
        ]
    score = snapshot.overall_score
    if (
        score is not None
        and snapshot.status in SCORED_STATUSES
        and score < project.status_min_score
    ):
        return [
            Route(
                "status",
                f"Overall score {score:.0f} under the project's minimum of "
                f"{project.status_min_score:.0f}",
                f"status:low_score:{snapshot.provider_status}",
            )
        ]
    return []


def _poa(project: Project, snapshot: SessionSnapshot) -> list[Route]:
    poa = snapshot.poa
    if not project.poa_enabled or poa is None or poa.decided:
        return []
    if project.poa_force_manual_review:
        return [Route("poa", "Force manual review is on for proof of address", "poa:forced", 3)]
    if poa.manual_review_requested:
        return [Route("poa", "Provider asks for a proof-of-address review", "poa:provider", 2)]
    confidence = poa.confidence
    low, high = project.poa_manual_review_threshold, project.poa_auto_approve_threshold
    if confidence is not None and low <= confidence < high:
        return [
            Route(
                "poa",
                f"PoA confidence {confidence:.2f} between {low:.2f} and {high:.2f}",
                f"poa:confidence:{confidence:.4f}",
                3,
            )
        ]
    return []
