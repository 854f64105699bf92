"""/v1/: one entry point, which routes as Vault does (segments, LIST, ?list=true) and answers in its format."""

from django.urls import re_path

from vault.api.views import api_entry

app_name = "vault-api"

urlpatterns = [re_path(r"^(?P<route>[\s\S]*)\Z", api_entry, name="entry")]
