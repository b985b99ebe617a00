"""kycdash: a self-hosted compliance review dashboard for KYC providers."""

from kycdash.celery import app as celery_app

__all__ = ("celery_app",)
