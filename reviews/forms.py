"""Input of the review screens: filters, decisions, notes. Rules live in the services."""

from __future__ import annotations

from django import forms

from kycdash.accounts.models import Project
from providers.base import SessionStatus
from reviews.selectors import (
    AGE_CHOICES,
    ASSIGNEE_CHOICES,
    MASKED_FIELDS,
    QueueFilters,
    decode_cursor,
    provider_choices_for,
)
from reviews.services import BULK_ACTIONS, BULK_MAX_TASKS, NOTE_MAX_LENGTH


class CursorField(forms.CharField):
    """A keyset cursor from ``selectors.encode_cursor``."""

    def clean(self, value):
        value = super().clean(value)
        if value:
            try:
                decode_cursor(value)
            except ValueError:
                raise forms.ValidationError("This page link is not valid.") from None
        return value


class QueueFilterForm(forms.Form):
    """The filters above a queue table; every field is optional and kept in the URL."""

    project = forms.ModelChoiceField(
        queryset=Project.objects.none(), required=False, empty_label="All my projects"
    )
    provider = forms.ChoiceField(required=False)
    reason = forms.CharField(required=False, max_length=100, strip=True)
    age = forms.ChoiceField(choices=AGE_CHOICES, required=False)
    assignee = forms.ChoiceField(choices=ASSIGNEE_CHOICES, required=False)
    after = CursorField(required=False, max_length=60)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = Project.objects.visible_to(user)
        self.fields["provider"].choices = [("", "Any provider"), *provider_choices_for(user)]

    def filters(self) -> QueueFilters:
        data = self.cleaned_data
        return QueueFilters(
            project=data.get("project"),
            provider=data.get("provider") or "",
            reason=data.get("reason") or "",
            age=data.get("age") or "",
            assignee=data.get("assignee") or "any",
            after=data.get("after") or "",
        )


class ClaimNextForm(forms.Form):
    """The queue's filters that "Claim next" follows (hidden copies of the filter form)."""

    provider = forms.CharField(required=False, max_length=60, strip=True)
    reason = forms.CharField(required=False, max_length=100, strip=True)


class TaskIdsField(forms.Field):
    """Every value of a repeated field (checkboxes named ``task``) as a list of ids."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if len(value) > BULK_MAX_TASKS:
            raise forms.ValidationError(f"Select at most {BULK_MAX_TASKS} tasks at a time.")
        try:
            ids = [int(item) for item in value]
        except (TypeError, ValueError):
            raise forms.ValidationError("These are not task numbers.") from None
        if any(pk < 1 for pk in ids):
            raise forms.ValidationError("These are not task numbers.")
        return ids


class BulkActionForm(forms.Form):
    """The queue's bulk bar: which tasks, assign or release, and to whom."""

    task = TaskIdsField(required=False)
    action = forms.ChoiceField(choices=[(action, action) for action in BULK_ACTIONS])
    assignee = forms.IntegerField(required=False, min_value=1)


class SessionSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, strip=True, label="Search")
    status = forms.ChoiceField(choices=[("", "Any status"), *SessionStatus.CHOICES], required=False)
    after = CursorField(required=False, max_length=60)


class AuditFilterForm(forms.Form):
    action = forms.CharField(required=False, max_length=60, strip=True)
    before = forms.IntegerField(required=False, min_value=1)


class DecisionForm(forms.Form):
    """What the reviewer chose; whether it is allowed is the service's call."""

    outcome = forms.CharField(max_length=30)
    reason = forms.CharField(required=False, max_length=60)
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH, strip=True)


class SecondReviewForm(forms.Form):
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH, strip=True)


class NoteForm(forms.Form):
    text = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH, strip=True)
    task = forms.IntegerField(required=False, min_value=1)


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[(name, name) for name in sorted(MASKED_FIELDS)])
    next = forms.CharField(required=False, max_length=500)
