"""Flonk KYC adapter (being written)."""

from providers.base import ProviderAdapter
from providers.registry import register


@register
class FlonkAdapter(ProviderAdapter):
    name = "flonk"
    label = "Flonk KYC"
