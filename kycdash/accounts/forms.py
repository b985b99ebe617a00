"""Forms of the account screens: sign-in, project switcher, time zone."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """Django's sign-in form with the browser hints password managers expect."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(autocomplete="username", autofocus=True)
        self.fields["password"].widget.attrs.update(autocomplete="current-password")


class ProjectSwitchForm(forms.Form):
    # empty means "All my projects"; a project the user is not in answers 404 in the view
    project = forms.IntegerField(required=False, min_value=1)
    next = forms.CharField(required=False, max_length=500)


@cache
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(zoneinfo.available_timezones() - {"localtime"})
    return [(name, name.replace("_", " ")) for name in names]


class TimezoneForm(forms.Form):
    timezone = forms.ChoiceField(label="Time zone", choices=timezone_choices)
