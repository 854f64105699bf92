"""The layout's cheaper tags give exactly what Django's `{% url %}` and `date` filter give."""

from datetime import UTC, datetime

import pytest
from django.template import engines
from django.urls import clear_script_prefix, set_script_prefix
from django.utils import timezone


def render(source: str, **context) -> str:
    return engines["django"].from_string("{% load keyhold %}" + source).render(context)


@pytest.mark.parametrize("name", ["home", "vault:secret-list", "accounts:login", "accounts:twofactor", "admin:index"])
def test_link_is_the_url_tag_and_follows_the_script_prefix(name):
    assert render("{% link name %}", name=name) == render("{% url name %}", name=name)
    try:
        set_script_prefix("/keyhold/")
        assert render("{% link name as to %}<{{ to }}>", name=name) == render("<{% url name %}>", name=name)
        assert render("{% link name %}", name=name).startswith("/keyhold/")
    finally:
        clear_script_prefix()


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kathmandu"])
@pytest.mark.parametrize(
    "moment",
    [datetime(2026, 11, 23, 5, 7, 9, 123456, tzinfo=UTC), datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC)],
)
def test_timestamp_is_the_two_date_filters_in_the_current_time_zone(zone, moment):
    with timezone.override(zone):
        expected = render("<time datetime=\"{{ v|date:'c' }}\">{{ v|date:'Y-m-d H:i' }}</time>", v=moment)
        assert render("{% timestamp v %}", v=moment) == expected


def test_timestamp_of_nothing_is_nothing():
    assert render("[{% timestamp v %}]", v=None) == "[]"
