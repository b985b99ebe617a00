"""The one webhook route for every provider."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def receive(request: HttpRequest, connection_id) -> JsonResponse:
    return JsonResponse({"error": "not_implemented"}, status=501)
