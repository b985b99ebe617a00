from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "Provider connections"

    def ready(self) -> None:
        from providers import registry

        registry.load_adapters()
