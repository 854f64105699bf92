"""Sensor forms: what an owner types about a sensor, and the time range of a CSV export."""

import re
from datetime import timedelta

from django import forms

from telemetry.models import Sensor

# Control characters (C0, DEL, C1) would let a name forge lines in logs and CSV or hide in a page.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_UNITS = 50
MAX_TAGS = 20
TAG_MAX_CHARS = 50
METRIC_MAX_CHARS = 200
UNIT_MAX_CHARS = 20
EXPORT_MAX_DAYS = 31


def _plain(text: str, label: str) -> str:
    if CONTROL.search(text):
        raise forms.ValidationError(f"{label} cannot contain control characters.")
    return text


class SensorForm(forms.Form):
    name = forms.CharField(max_length=Sensor._meta.get_field("name").max_length)
    kind = forms.CharField(max_length=Sensor._meta.get_field("kind").max_length, required=False)
    location = forms.CharField(max_length=Sensor._meta.get_field("location").max_length, required=False)
    units = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One <code>metric = unit</code> per line, for example <code>temperature = °C</code>.",
    )
    tags = forms.CharField(required=False, max_length=1200, help_text="Separated by commas.")

    def clean_name(self) -> str:
        return _plain(self.cleaned_data["name"], "The name")

    def clean_kind(self) -> str:
        return _plain(self.cleaned_data["kind"], "The kind")

    def clean_location(self) -> str:
        return _plain(self.cleaned_data["location"], "The location")

    def clean_units(self) -> dict[str, str]:
        units = {}
        for line in self.cleaned_data["units"].splitlines():
            if not line.strip():
                continue
            metric, sep, unit = line.partition("=")
            metric, unit = metric.strip(), unit.strip()
            if not sep or not metric:
                raise forms.ValidationError("Write each unit as metric = unit.")
            if len(metric) > METRIC_MAX_CHARS or len(unit) > UNIT_MAX_CHARS:
                raise forms.ValidationError(
                    f"A metric has at most {METRIC_MAX_CHARS} characters, a unit at most {UNIT_MAX_CHARS}."
                )
            units[_plain(metric, "A metric")] = _plain(unit, "A unit")
        if len(units) > MAX_UNITS:
            raise forms.ValidationError(f"At most {MAX_UNITS} units.")
        return units

    def clean_tags(self) -> list[str]:
        tags = [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]
        if len(tags) > MAX_TAGS or any(len(tag) > TAG_MAX_CHARS for tag in tags):
            raise forms.ValidationError(f"At most {MAX_TAGS} tags of at most {TAG_MAX_CHARS} characters each.")
        return list(dict.fromkeys(_plain(tag, "A tag") for tag in tags))

    @staticmethod
    def initial_for(sensor: Sensor) -> dict:
        return {
            "name": sensor.name,
            "kind": sensor.kind,
            "location": sensor.location,
            "units": "\n".join(f"{metric} = {unit}" for metric, unit in sensor.units.items()),
            "tags": ", ".join(sensor.tags),
        }


class ExportForm(forms.Form):
    """A time range (at most EXPORT_MAX_DAYS) and optionally one metric; times in the site's time zone."""

    start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    metric = forms.CharField(required=False, max_length=METRIC_MAX_CHARS, help_text="Leave empty for every metric.")

    def clean_metric(self) -> str:
        return _plain(self.cleaned_data["metric"], "The metric")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end <= start:
                self.add_error("end", "The end must be after the start.")
            elif end - start > timedelta(days=EXPORT_MAX_DAYS):
                self.add_error("end", f"Export at most {EXPORT_MAX_DAYS} days at a time.")
        return cleaned
