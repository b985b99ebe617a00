"""App config of the Incode Omni sandbox."""

from django.apps import AppConfig


class IncodeSandboxConfig(AppConfig):
    name = "providers.incode.sandbox"
    label = "incode_sandbox"
    verbose_name = "Incode Omni sandbox"
