"""Incode Omni adapter (placeholder until the client lands)."""

from providers.base import ProviderAdapter
from providers.registry import register


@register
class IncodeAdapter(ProviderAdapter):
    name = "incode"
    label = "Incode Omni"
