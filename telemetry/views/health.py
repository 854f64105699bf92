"""Staff telemetry health page: ingest rate, queue depth, worker lag, dead letters and rejects."""

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from telemetry import mongo, selectors


@never_cache
@staff_member_required
@require_http_methods(["GET", "HEAD"])
def health_detail(request):
    try:
        health, error = selectors.pipeline_health(), None
    except mongo.MongoUnavailable as exc:
        health, error = {}, str(exc)
    return render(request, "telemetry/health_detail.html", {"health": health, "mongo_error": error})
