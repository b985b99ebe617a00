"""Picks the project the user is looking at (the top bar's project switcher)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from kycdash.accounts.models import Project

SESSION_KEY = "current_project_id"


class CurrentProjectMiddleware:
    """Sets ``request.project``: the chosen project among the user's, or None for all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.project = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            project_id = request.session.get(SESSION_KEY)
            if project_id is not None:
                request.project = Project.objects.visible_to(user).filter(id=project_id).first()
        return self.get_response(request)
