from django.urls import path

from reviews import views

urlpatterns = [
    path("", views.home, name="home"),
    path("nav/", views.nav, name="nav"),
    path("queues/<str:queue>/", views.queue, name="queue"),
    path("queues/<str:queue>/claim-next/", views.claim_next, name="claim-next"),
    path("queues/<str:queue>/bulk/", views.queue_bulk, name="queue-bulk"),
    path("my-tasks/", views.my_tasks, name="my-tasks"),
    path("sessions/", views.session_list, name="session-list"),
    path("sessions/<int:pk>/", views.session_detail, name="session-detail"),
    path("sessions/<int:pk>/notes/", views.note_add_view, name="note-add"),
    path("sessions/<int:pk>/reveal/", views.pii_reveal, name="pii-reveal"),
    path("tasks/<int:pk>/", views.task_detail, name="task-detail"),
    path("tasks/<int:pk>/claim/", views.task_claim_view, name="task-claim"),
    path("tasks/<int:pk>/release/", views.task_release_view, name="task-release"),
    path("tasks/<int:pk>/decide/", views.task_decide, name="task-decide"),
    path("tasks/<int:pk>/confirm/", views.task_confirm, name="task-confirm"),
    path("tasks/<int:pk>/return/", views.task_return, name="task-return"),
    path("writebacks/<int:pk>/retry/", views.writeback_retry_view, name="writeback-retry"),
    path("evidence/<int:pk>/thumb/", views.evidence_thumb, name="evidence-thumb"),
    path("evidence/<int:pk>/file/", views.evidence_file, name="evidence-file"),
    path("audit/", views.audit_log, name="audit-log"),
]
