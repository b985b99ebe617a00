from django.apps import AppConfig


class FlonkSandboxConfig(AppConfig):
    name = "providers.flonk.sandbox"
    label = "flonk_sandbox"
    verbose_name = "Flonk KYC sandbox"
