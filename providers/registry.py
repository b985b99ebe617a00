"""The adapter registry: provider name -> adapter class, filled by ``@register``."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, TypeVar

from providers.base import ProviderAdapter

if TYPE_CHECKING:
    from providers.models import ProviderConnection

# The provider packages: each has client.py, adapter.py (registering itself) and sandbox/.
PROVIDER_PACKAGES = ("incode", "flonk", "finwave", "kycapi", "leko")

A = TypeVar("A", bound=type[ProviderAdapter])

_adapters: dict[str, type[ProviderAdapter]] = {}


def register(cls: A) -> A:
    if cls.name in _adapters and _adapters[cls.name] is not cls:
        raise ValueError(f"two adapters claim the provider name {cls.name!r}")
    _adapters[cls.name] = cls
    return cls


def load_adapters() -> None:
    for package in PROVIDER_PACKAGES:
        import_module(f"providers.{package}.adapter")


def adapter_class(name: str) -> type[ProviderAdapter]:
    try:
        return _adapters[name]
    except KeyError:
        raise KeyError(f"no provider adapter named {name!r}") from None


def adapter_for(connection: ProviderConnection) -> ProviderAdapter:
    return adapter_class(connection.provider)(connection)


def provider_choices() -> list[tuple[str, str]]:
    load_adapters()
    return sorted((name, cls.label) for name, cls in _adapters.items())
