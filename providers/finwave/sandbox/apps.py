from django.apps import AppConfig


class FinwaveSandboxConfig(AppConfig):
    name = "providers.finwave.sandbox"
    label = "finwave_sandbox"
    verbose_name = "Finwave Digital Onboarding sandbox"
