"""Sensor pages: list, create (token shown once), edit, switch on/off, replace the token, delete."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_variables

from telemetry import mongo, selectors
from telemetry.forms import SensorForm
from telemetry.models import Sensor
from telemetry.services.sensor_manage import (
    SensorError,
    sensor_delete,
    sensor_enabled_set,
    sensor_register,
    sensor_token_replace,
    sensor_update,
)
from telemetry.views.access import sensor_for_owner, sensor_page

PAGE_SIZE = 25


@sensor_page("GET")
def sensor_list(request):
    page = Paginator(Sensor.objects.filter(owner=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    try:
        last = selectors.last_values([sensor.pk for sensor in page])
        mongo_error = None
    except mongo.MongoUnavailable as error:
        last, mongo_error = {}, str(error)
    rows = []
    for sensor in page:
        value = last.get(sensor.pk)
        unit = sensor.units.get(value["metric"], "") if value else ""
        rows.append({"sensor": sensor, "last": value, "unit": unit})
    return render(request, "telemetry/sensor_list.html", {"page": page, "rows": rows, "mongo_error": mongo_error})


@sensitive_variables("token", "context")
def _token_page(request, sensor: Sensor, token: str, *, created: bool):
    """The one response that carries the raw token: rendered straight from the POST, never stored or redirected."""
    context = {
        "sensor": sensor,
        "token": token,
        "created": created,
        "json_url": request.build_absolute_uri("/api/telemetry/readings"),
        "write_url": request.build_absolute_uri("/api/v2/write"),
        "base_url": request.build_absolute_uri("/").rstrip("/"),
    }
    return render(request, "telemetry/sensor_token.html", context)


@sensor_page("GET", "POST")
@sensitive_variables("token")
def sensor_create(request):
    form = SensorForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                sensor, token = sensor_register(owner=request.user, request=request, **form.cleaned_data)
            except SensorError as error:
                form.add_error("name", str(error))
            else:
                return _token_page(request, sensor, token, created=True)
    return render(request, "telemetry/sensor_form.html", {"form": form, "sensor": None}, status=status)


@sensor_page("GET", "POST")
def sensor_edit(request, sensor_id: int):
    sensor = sensor_for_owner(request, sensor_id)
    form = SensorForm(request.POST or None, initial=SensorForm.initial_for(sensor))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                sensor_update(sensor=sensor, actor=request.user, request=request, **form.cleaned_data)
            except SensorError as error:
                form.add_error("name", str(error))
            else:
                messages.success(request, "Sensor saved.")
                return redirect("telemetry:sensor-detail", sensor_id=sensor.pk)
    return render(request, "telemetry/sensor_form.html", {"form": form, "sensor": sensor}, status=status)


@sensor_page("POST")
def sensor_enabled(request, sensor_id: int):
    sensor = sensor_for_owner(request, sensor_id)
    enabled = request.POST.get("enabled") == "on"
    sensor_enabled_set(sensor=sensor, actor=request.user, enabled=enabled, request=request)
    messages.success(request, "Sensor enabled." if enabled else "Sensor disabled: its readings are refused.")
    return redirect("telemetry:sensor-detail", sensor_id=sensor.pk)


@sensor_page("GET", "POST")
@sensitive_variables("token")
def sensor_token(request, sensor_id: int):
    sensor = sensor_for_owner(request, sensor_id)
    if request.method == "POST":
        token = sensor_token_replace(sensor=sensor, actor=request.user, request=request)
        return _token_page(request, sensor, token, created=False)
    return render(request, "telemetry/sensor_token_confirm.html", {"sensor": sensor})


@sensor_page("GET", "POST")
def sensor_remove(request, sensor_id: int):
    sensor = sensor_for_owner(request, sensor_id)
    if request.method == "POST":
        if request.POST.get("confirm") != "on":
            return render(request, "telemetry/sensor_delete.html", {"sensor": sensor, "unconfirmed": True}, status=400)
        name = sensor.name
        sensor_delete(sensor=sensor, actor=request.user, request=request)
        messages.success(request, f"Sensor {name} and its readings were deleted.")
        return redirect("telemetry:sensor-list")
    return render(request, "telemetry/sensor_delete.html", {"sensor": sensor})
