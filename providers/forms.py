"""Input of the connection admin pages. The rules (which keys, which URLs) live in
``providers.services``; these forms only read the request into plain values.

Credentials are password inputs that never render a value back: on the add page
they are typed once, on the settings page they are blank and mean "keep".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet

from kycdash.accounts.models import Project
from providers.registry import adapter_class, provider_choices

CREDENTIAL_PREFIX = "cred_"

# Words that read better in capitals in a credential's label ("API key", "Client ID").
_ACRONYMS = {"api", "id", "url", "hmac", "jwt", "sdk"}


@dataclass(frozen=True)
class ProviderOption:
    """A non-secret, per-connection setting an adapter reads from ``connection.options``."""

    key: str
    label: str
    help_text: str


# Only providers whose adapter reads an option get a checkbox for it.
PROVIDER_OPTIONS: dict[str, tuple[ProviderOption, ...]] = {
    "flonk": (
        ProviderOption(
            "accept_legacy_signature",
            "Accept legacy webhook signatures",
            "Older Flonk accounts sign webhooks the old way. Turn this off once the "
            "account sends only the current signature.",
        ),
    ),
}


def credential_label(key: str) -> str:
    """'api_key' -> 'API key', 'admin_token' -> 'Admin token'."""
    words = [w.upper() if w.lower() in _ACRONYMS else w.lower() for w in key.split("_") if w]
    if words and not words[0].isupper():
        words[0] = words[0].capitalize()
    return " ".join(words) or key


def credential_fields(provider: str) -> tuple[str, ...]:
    """The credential keys of ``provider``'s adapter; none for an unknown provider."""
    try:
        return tuple(adapter_class(provider).credential_fields)
    except KeyError:
        return ()


def _password_input(placeholder: str = "") -> forms.PasswordInput:
    attrs = {"autocomplete": "new-password", "spellcheck": "false", "autocapitalize": "off"}
    if placeholder:
        attrs["placeholder"] = placeholder
    # render_value=False: a stored or typed secret never comes back in the HTML
    return forms.PasswordInput(attrs=attrs, render_value=False)


class _CredentialsMixin:
    """Adds one password field per credential key of the provider, named ``cred_<key>``."""

    fields: dict[str, forms.Field]
    data: Any
    cleaned_data: dict[str, Any]

    def _add_credential_fields(self, provider: str, *, keep_hint: bool) -> None:
        for key in credential_fields(provider):
            self.fields[CREDENTIAL_PREFIX + key] = forms.CharField(
                label=credential_label(key),
                required=False,  # which keys are needed is the service's rule
                max_length=4000,
                widget=_password_input("leave blank to keep" if keep_hint else ""),
            )

    def credential_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(CREDENTIAL_PREFIX)]

    def credentials(self) -> dict[str, str]:
        """The credentials typed in, blank ones left out.

        Keys posted that the provider does not declare are passed on too, so the
        service refuses them in words instead of them being dropped silently.
        """
        values = {
            name.removeprefix(CREDENTIAL_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(CREDENTIAL_PREFIX) and value
        }
        for name in self.data:
            if name.startswith(CREDENTIAL_PREFIX) and name not in self.fields:
                key = name.removeprefix(CREDENTIAL_PREFIX)
                value = str(self.data.get(name, "")).strip()
                if key and value:
                    values[key] = value
        return values


class ConnectionAddForm(_CredentialsMixin, forms.Form):
    """A new connection: project, provider, name, base URL and the provider's credentials."""

    project = forms.ModelChoiceField(queryset=Project.objects.none(), empty_label=None)
    provider = forms.ChoiceField(label="Provider")
    name = forms.CharField(
        label="Name",
        required=False,
        max_length=120,
        help_text="Shown in queues and on case pages. Leave blank to use the provider's name.",
    )
    base_url = forms.CharField(
        label="Base URL",
        max_length=300,
        help_text="Where the provider's API answers, e.g. https://demo-api.incodesmile.com",
        widget=forms.TextInput(
            attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}
        ),
    )

    def __init__(self, data=None, *, projects: QuerySet[Project], provider: str = "", **kwargs):
        super().__init__(data, **kwargs)
        self.fields["project"].queryset = projects
        self.fields["provider"].choices = [("", "Choose a provider…"), *provider_choices()]
        self.provider_name = self._chosen_provider(provider)
        self._add_credential_fields(self.provider_name, keep_hint=False)

    def _chosen_provider(self, provider: str) -> str:
        name = (self.data.get("provider") if self.is_bound else provider) or ""
        return name if name in dict(provider_choices()) else ""

    @property
    def single_project(self) -> bool:
        return self.fields["project"].queryset.count() == 1


class ConnectionSettingsForm(_CredentialsMixin, forms.Form):
    """Changes to a connection: blank credentials keep the stored ones."""

    name = forms.CharField(label="Name", max_length=120)
    base_url = forms.CharField(
        label="Base URL",
        max_length=300,
        widget=forms.TextInput(
            attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}
        ),
    )

    def __init__(self, data=None, *, connection, **kwargs):
        initial = {"name": connection.name, "base_url": connection.base_url}
        for option in PROVIDER_OPTIONS.get(connection.provider, ()):
            initial[f"option_{option.key}"] = bool(connection.options.get(option.key))
        super().__init__(data, initial=initial, **kwargs)
        self.connection = connection
        self._add_credential_fields(connection.provider, keep_hint=True)
        for option in PROVIDER_OPTIONS.get(connection.provider, ()):
            self.fields[f"option_{option.key}"] = forms.BooleanField(
                label=option.label, help_text=option.help_text, required=False
            )

    def option_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("option_")]

    def options(self) -> dict[str, Any] | None:
        """The connection's options with the checkboxes applied; None if it has none."""
        known = PROVIDER_OPTIONS.get(self.connection.provider, ())
        if not known:
            return None
        options = dict(self.connection.options)
        for option in known:
            options[option.key] = bool(self.cleaned_data.get(f"option_{option.key}"))
        return options


class ConfirmForm(forms.Form):
    """A destructive action runs only with confirm=yes (the second click, or the
    confirmation step without JavaScript)."""

    confirm = forms.ChoiceField(choices=[("yes", "yes")])


class SyncForm(forms.Form):
    full = forms.BooleanField(required=False)
