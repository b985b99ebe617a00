"""LE-KO KYC adapter (being written)."""

from providers.base import ProviderAdapter
from providers.registry import register


@register
class LekoAdapter(ProviderAdapter):
    name = "leko"
    label = "LE-KO KYC"
