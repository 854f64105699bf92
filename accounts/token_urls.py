"""API token pages (included under accounts/tokens/ in the accounts namespace)."""

from django.urls import path

from accounts.views import tokens

urlpatterns = [
    path("", tokens.token_list, name="token-list"),
    path("new/", tokens.token_new, name="token-create"),
    path("<int:token_id>/revoke/", tokens.token_revoke_view, name="token-revoke"),
    path("whoami", tokens.whoami, name="token-whoami"),
]
