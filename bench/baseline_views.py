"""Baseline views for the page benchmarks: what a page costs with everything Keyhold adds taken away."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.tokenauth import token_required
from vault.models import SecretVersion

# Set by the benchmark to fields of the same size as the revealed secret, so both pages render alike.
PLAIN_FIELDS: dict[str, str] = {}


@never_cache
@login_required
@require_POST
def plain_read(request, pk: int):
    """One indexed read of a row the size of a secret version, rendered by the reveal page's own template."""
    row = SecretVersion.objects.only("ciphertext", "version").get(pk=pk)
    context = {"revealed": {"path": "bench/plain", "version": row.version, "fields": PLAIN_FIELDS, "notes": ""}}
    return render(request, "vault/secret_reveal.html", {**context, "secret_path": "bench/plain"})


@token_required(scope="read")
def plain_token_read(request, pk: int):
    """A token-authenticated JSON view: one indexed read of a same-size row, the fields as JSON."""
    row = SecretVersion.objects.only("ciphertext", "version").get(pk=pk)
    return JsonResponse({"data": {"data": PLAIN_FIELDS, "metadata": {"version": row.version}}})
