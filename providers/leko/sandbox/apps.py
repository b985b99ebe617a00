"""App config of the LE-KO KYC sandbox."""

from django.apps import AppConfig


class LekoSandboxConfig(AppConfig):
    name = "providers.leko.sandbox"
    label = "leko_sandbox"
    verbose_name = "LE-KO KYC sandbox"
