"""A sensor's page: charts of the last hour, day and week, the latest raw readings, and rejected lines."""

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe

from telemetry import mongo, selectors
from telemetry.charts import line_chart
from telemetry.forms import ExportForm
from telemetry.services.rejects import rejects_since
from telemetry.views.access import sensor_for_owner, sensor_page

# (label, span, bucket): 96 to 168 buckets per chart, enough for the width of the page. The hour's
# 30-second buckets come from raw readings, so a new reading shows at once; the others from rollups.
WINDOWS = (
    ("Last hour", timedelta(hours=1), 30),
    ("Last day", timedelta(days=1), 900),
    ("Last week", timedelta(days=7), 3600),
)
LATEST_LIMIT = 50


def _charts(sensor, metric: str, now) -> list[dict]:
    unit = sensor.units.get(metric, "")
    charts = []
    for label, span, step in WINDOWS:
        start = now - span
        series = selectors.series_read(sensor.pk, metric, start, now, step)
        # line_chart escapes every text it draws, so its markup is safe to insert as is.
        svg = line_chart(series, start=start, end=now, step_seconds=step, title=f"{metric}: {label}", unit=unit)
        charts.append({"label": label, "svg": mark_safe(svg)})  # noqa: S308
    return charts


@sensor_page("GET")
def sensor_detail(request, sensor_id: int):
    sensor = sensor_for_owner(request, sensor_id)
    now = timezone.now()
    context = {"sensor": sensor, "mongo_error": None, "metrics": [], "metric": "", "charts": [], "latest": []}
    try:
        metrics = list(selectors.metrics_for_sensor(sensor.pk))
        asked = request.GET.get("metric", "")
        metric = asked if asked in metrics else (metrics[0] if metrics else "")
        context.update(metrics=metrics, metric=metric)
        if metric:
            context["charts"] = _charts(sensor, metric, now)
        context["latest"] = [
            {**row, "unit": sensor.units.get(row.get("metric"), "")}
            for row in selectors.latest_readings(sensor.pk, limit=LATEST_LIMIT)
        ]
        context["rejects"] = rejects_since(now - timedelta(days=1), [sensor.pk]).get(sensor.pk)
    except mongo.MongoUnavailable as error:
        context["mongo_error"] = str(error)
    context["export_form"] = ExportForm(initial={"start": (now - timedelta(days=1)).replace(microsecond=0), "end": now})
    return render(request, "telemetry/sensor_detail.html", context)
