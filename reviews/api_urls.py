"""URLs of the REST API, mounted at ``/api/v1/``.

No Swagger UI: drf-spectacular's loads its JavaScript from a CDN, which the
Content-Security-Policy (own origin only) forbids. The OpenAPI document at
``schema/`` works with any local viewer or client generator.
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from reviews import api

app_name = "api"

urlpatterns = [
    path("sessions/", api.SessionListApi.as_view(), name="session-list"),
    path("sessions/<int:session_id>/", api.SessionDetailApi.as_view(), name="session-detail"),
    path("tasks/", api.TaskListApi.as_view(), name="task-list"),
    path("tasks/claim-next/", api.TaskClaimNextApi.as_view(), name="task-claim-next"),
    path("tasks/<int:task_id>/", api.TaskDetailApi.as_view(), name="task-detail"),
    path("tasks/<int:task_id>/claim/", api.TaskClaimApi.as_view(), name="task-claim"),
    path("tasks/<int:task_id>/release/", api.TaskReleaseApi.as_view(), name="task-release"),
    path("tasks/<int:task_id>/decide/", api.TaskDecideApi.as_view(), name="task-decide"),
    path("tasks/<int:task_id>/confirm/", api.TaskConfirmApi.as_view(), name="task-confirm"),
    path("tasks/<int:task_id>/return/", api.TaskReturnApi.as_view(), name="task-return"),
    path(
        "writebacks/<int:writeback_id>/retry/",
        api.WriteBackRetryApi.as_view(),
        name="writeback-retry",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^.*$", api.UnknownApi.as_view(), name="unknown"),
]
