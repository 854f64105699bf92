"""Signing in and out. The login page counts failures and answers 429 while an account is locked."""

import math
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import LoginForm
from accounts.forms.people import BAD_LOGIN
from accounts.redirects import safe_next
from accounts.services.authentication import login_complete, pending_login_start
from accounts.services.hashslots import RETRY_AFTER_SECONDS
from accounts.services.login import login_attempt
from accounts.services.sessions import session_logout
from accounts.services.twofactor import twofactor_enabled

SIGNINS_BUSY = "Many people are signing in right now and your password was not checked yet. Please try again."


def too_many_attempts(request, template: str, context: dict, retry_after: int):
    """A 429 page that says how long to wait, with the same figure in Retry-After."""
    context = {**context, "retry_minutes": max(1, math.ceil(retry_after / 60))}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def signins_busy(request, form, context: dict):
    """503 and Retry-After: every core was hashing another password, so this one was not checked yet."""
    form.add_error(None, SIGNINS_BUSY)
    response = render(request, "accounts/login.html", context, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@sensitive_post_parameters("password")
@csrf_protect
@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated:
        return redirect(safe_next(request))
    form = LoginForm(request.POST or None)
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        attempt = login_attempt(request=request, email=data["username"], password=data["password"])
        if attempt.busy:
            return signins_busy(request, form, context)
        if attempt.retry_after:
            return too_many_attempts(request, "accounts/login_locked.html", context, attempt.retry_after)
        if attempt.user is None:
            form.add_error(None, BAD_LOGIN)
        elif twofactor_enabled(attempt.user):
            pending_login_start(request, attempt.user, remember_me=data["remember_me"])
            return redirect(f"{reverse('accounts:login-2fa')}?{urlencode({'next': safe_next(request)})}")
        else:
            login_complete(request, attempt.user, remember_me=data["remember_me"])
            return redirect(safe_next(request))
    return render(request, "accounts/login.html", context)


@require_POST
def logout_view(request):
    session_logout(request=request)
    return redirect(settings.LOGOUT_REDIRECT_URL)
