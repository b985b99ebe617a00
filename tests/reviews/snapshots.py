"""Building SessionSnapshots for service tests."""

from __future__ import annotations

import io

from PIL import Image

from providers.base import (
    AntifraudResult,
    Check,
    EvidenceFile,
    PersonData,
    PoaData,
    SessionSnapshot,
)


def image_bytes(colour: str = "navy", size: tuple[int, int] = (64, 40), fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def snapshot(external_id: str = "5f0c0ffee0000000000000a1", **overrides) -> SessionSnapshot:
    values = {
        "external_id": external_id,
        "status": "needs_review",
        "provider_status": "ONBOARDING_FINISHED / MANUAL",
        "person": PersonData(full_name="Ada Lovelace", document_number="X1234567"),
        "checks": (Check(key="tamperCheck", status="ok", group="idValidation", value="98"),),
        "scores": {"overall": 72.0},
        "overall_score": 72.0,
        "review_requested": True,
        "review_reason": "RULE_APPLIED",
        "evidence": (
            EvidenceFile(kind="front", content=image_bytes("navy"), external_ref="croppedFrontID"),
            EvidenceFile(kind="selfie", content=image_bytes("tan"), external_ref="selfie"),
        ),
    }
    values.update(overrides)
    return SessionSnapshot(**values)


def antifraud_failed(step: str = "IdFaceAntifraudExecutor", other: str = "") -> AntifraudResult:
    return AntifraudResult(result="failed", step_name=step, colliding_external_id=other)


def poa(confidence: float | None, **kwargs) -> PoaData:
    return PoaData(confidence=confidence, name="Ada Lovelace", address="1 Main St", **kwargs)
