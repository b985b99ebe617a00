from django.apps import AppConfig


class KycapiSandboxConfig(AppConfig):
    name = "providers.kycapi.sandbox"
    label = "kycapi_sandbox"
    verbose_name = "KYC API 2.10.15 sandbox"
