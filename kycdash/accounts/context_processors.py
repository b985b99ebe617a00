"""Template context shared by every page: the user's projects and the current one."""

from __future__ import annotations

from django.http import HttpRequest

from kycdash.accounts.models import Project


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "my_projects": Project.objects.visible_to(user),
        "current_project": getattr(request, "project", None),
    }
