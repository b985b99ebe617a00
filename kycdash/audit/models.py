"""The append-only, hash-chained audit trail.

Each row stores the hash of the row before it and its own hash over a canonical
serialization of its content, so editing or removing any row breaks the chain
at that row (``manage.py verify_audit``).
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from kycdash.accounts.models import ProjectScopedQuerySet

GENESIS_HASH = "0" * 64


class AuditEventQuerySet(ProjectScopedQuerySet):
    def for_object(self, obj: models.Model) -> AuditEventQuerySet:
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AuditChainHead(models.Model):
    """One row holding the chain's last sequence number and hash; appends lock it."""

    seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"audit chain at #{self.seq}"


class AuditEvent(models.Model):
    """One thing that happened: who did what to which object, chained to the row before."""

    seq = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField()
    project = models.ForeignKey(
        "accounts.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ("-seq",)
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label or 'system'}"

    def canonical(self) -> bytes:
        """The row's content as stable bytes: the input of its hash."""
        content = {
            "seq": self.seq,
            "created_at": self.created_at.isoformat(),
            "project_id": self.project_id,
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "data": self.data,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(
            content, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder
        ).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()
