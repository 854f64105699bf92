"""Staff status page: the latest heartbeat, and a button to send one."""

import logging

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from kombu.exceptions import OperationalError

from telemetry import mongo, selectors, tasks

logger = logging.getLogger(__name__)


@staff_member_required
@require_http_methods(["GET", "HEAD", "POST"])
def status_detail(request):
    if request.method == "POST":
        try:
            tasks.heartbeat.delay_on_commit(requested_by="staff")
        except OperationalError:
            logger.warning("heartbeat not queued: broker unreachable")
            messages.error(request, "The broker is unreachable; the heartbeat was not queued.")
        else:
            messages.success(request, "Heartbeat queued; refresh in a moment to see it arrive.")
        return redirect("telemetry:status")
    try:
        latest = selectors.heartbeat_latest()
        mongo_error = None
    except mongo.MongoUnavailable as exc:
        latest, mongo_error = None, str(exc)
    return render(request, "telemetry/status_detail.html", {"latest": latest, "mongo_error": mongo_error})
