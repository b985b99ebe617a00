"""Finwave Digital Onboarding adapter (being written)."""

from providers.base import ProviderAdapter
from providers.registry import register


@register
class FinwaveAdapter(ProviderAdapter):
    name = "finwave"
    label = "Finwave Digital Onboarding"
