"""Secret links built without reverse() are exactly what reverse() gives, whatever the path or prefix."""

import pytest
from django.test import override_settings
from django.urls import clear_script_prefix, reverse, set_script_prefix

from vault.links import secret_detail_url

PATHS = [
    "db",
    "team01/service00001/db",
    "with space/and+plus/and%percent",
    "query?and#fragment",
    "ünïcode/日本/🔑",
    "quotes'\"<tag>&amp",
    "sub-delims!$&'()*+,;=/~:@",
    "trailing/",
    "a//double",
]


@pytest.mark.parametrize("path", PATHS)
def test_a_secret_link_is_what_reverse_gives(path):
    assert secret_detail_url(path) == reverse("vault:secret-detail", kwargs={"secret_path": path})


def test_the_script_prefix_is_followed_when_it_changes():
    try:
        set_script_prefix("/keyhold/")
        assert secret_detail_url("app/db") == "/keyhold/secrets/s/app/db"
        assert secret_detail_url("app/db") == reverse("vault:secret-detail", kwargs={"secret_path": "app/db"})
    finally:
        clear_script_prefix()
    assert secret_detail_url("app/db") == "/secrets/s/app/db"


@override_settings(ROOT_URLCONF="bench.urls")
def test_another_urlconf_is_followed():
    assert secret_detail_url("x/y") == reverse("vault:secret-detail", kwargs={"secret_path": "x/y"})
