"""A test-only URLconf: two small APIs shaped like the vault's, behind `token_required`."""

from django.http import JsonResponse
from django.urls import path

from accounts.tokenauth import token_required


@token_required(scope="read")
def read_secret(request, secret_path):
    if not request.token_principal.allows(action="read", path=secret_path):
        return JsonResponse({"error": "outside this token's paths"}, status=403)
    return JsonResponse({"path": secret_path})


@token_required(scope="write")
def write_secret(request, secret_path):
    if not request.token_principal.allows(action="write", path=secret_path):
        return JsonResponse({"error": "outside this token's paths"}, status=403)
    return JsonResponse({"written": secret_path})


urlpatterns = [
    path("read/<path:secret_path>", read_secret),
    path("write/<path:secret_path>", write_secret),
]
