from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kycdash.accounts"
    label = "accounts"
    verbose_name = "Projects and members"
