"""Two-factor pages (included under accounts/2fa/ in the accounts namespace)."""

from django.urls import path

from accounts.views import twofactor

urlpatterns = [
    path("", twofactor.twofactor_settings, name="twofactor"),
    path("start/", twofactor.twofactor_start, name="twofactor-start"),
    path("setup/", twofactor.twofactor_setup, name="twofactor-setup"),
    path("recovery-codes/", twofactor.twofactor_regenerate, name="twofactor-regenerate"),
    path("disable/", twofactor.twofactor_disable, name="twofactor-disable"),
    path("login/", twofactor.login_twofactor, name="login-2fa"),
]
