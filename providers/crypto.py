"""Encryption at rest for provider credentials (Fernet: AES-128-CBC + HMAC-SHA256)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


def _fernet() -> Fernet:
    key = settings.FIELD_ENCRYPTION_KEY
    if not key:
        digest = hashlib.sha256(f"kycdash-fields:{settings.SECRET_KEY}".encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key)


def encrypt_json(value: Any) -> str:
    return _fernet().encrypt(json.dumps(value).encode()).decode()


def decrypt_json(token: str) -> Any:
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: FIELD_ENCRYPTION_KEY or SECRET_KEY changed") from exc


class EncryptedJSONField(models.TextField):
    """A JSON value stored as a Fernet token; only ciphertext reaches the database."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return {}
        return decrypt_json(value)

    def to_python(self, value):
        if isinstance(value, str) and value.startswith("gAAAA"):
            return decrypt_json(value)
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt_json(value)
