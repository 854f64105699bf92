"""CSV export of a sensor's raw readings in a time range, streamed so a large range never sits in memory."""

import itertools
import re

from django.http import StreamingHttpResponse
from django.shortcuts import render

from telemetry import mongo, selectors
from telemetry.csvexport import csv_lines
from telemetry.forms import ExportForm
from telemetry.views.access import sensor_for_owner, sensor_page

UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@sensor_page("GET")
def sensor_export(request, sensor_id: int):
    sensor = sensor_for_owner(request, sensor_id)
    form = ExportForm(request.GET or None)
    if not form.is_valid():
        return render(
            request,
            "telemetry/sensor_export.html",
            {"sensor": sensor, "form": form},
            status=400 if form.is_bound else 200,
        )
    data = form.cleaned_data
    try:
        with mongo.reachable():
            rows = iter(selectors.readings_range(sensor.pk, data["start"], data["end"], metric=data["metric"] or None))
            # Fetch the first row now, so an unreachable MongoDB is a clear 503 and not a broken download.
            first = list(itertools.islice(rows, 1))
    except mongo.MongoUnavailable as error:
        form.add_error(None, str(error))
        return render(request, "telemetry/sensor_export.html", {"sensor": sensor, "form": form}, status=503)
    name = UNSAFE_FILENAME.sub("_", sensor.name)[:60] or "sensor"
    response = StreamingHttpResponse(
        csv_lines(itertools.chain(first, rows), sensor.units), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-{data["start"]:%Y%m%dT%H%M}.csv"'
    return response
