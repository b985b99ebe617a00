"""KYC API 2.10.15 adapter (being written)."""

from providers.base import ProviderAdapter
from providers.registry import register


@register
class KycapiAdapter(ProviderAdapter):
    name = "kycapi"
    label = "KYC API 2.10.15"
