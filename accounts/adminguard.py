"""Keeps the admin behind two-factor: staff need an authenticator, and this session must have used it."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from accounts.selectors_twofactor import session_twofactor_verified
from accounts.services.twofactor import twofactor_enabled


class AdminTwoFactorMiddleware:
    """Placed after the auth and message middleware. Guards every view of the admin site."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Matched by the URL's app name, so the guard follows the admin wherever (and whether) it is mounted.
        match = request.resolver_match
        if match is None or "admin" not in match.app_names:
            return None
        return self._refusal(request)

    def _refusal(self, request):
        if request.resolver_match.url_name == "login":
            # The admin's own login form checks only a password: it would let a two-factor user in
            # without the second step. Everyone signs in through the site's login instead.
            next_url = request.GET.get("next")
            login_url = reverse("accounts:login")
            return redirect(f"{login_url}?{urlencode({'next': next_url})}" if next_url else login_url)
        user = request.user
        if not (settings.ADMIN_REQUIRES_2FA and user.is_authenticated and user.is_staff):
            return None
        if not twofactor_enabled(user):
            messages.error(request, "Staff need two-factor authentication to use the admin. Set it up here first.")
            return redirect("accounts:twofactor")
        if not session_twofactor_verified(request):
            messages.info(request, "Enter a code from your authenticator app to continue to the admin.")
            return redirect(f"{reverse('accounts:login-2fa')}?{urlencode({'next': request.get_full_path()})}")
        return None
