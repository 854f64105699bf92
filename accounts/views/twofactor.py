"""Two-factor pages: settings, set-up with a QR code, recovery codes, and the second step of signing in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors_twofactor as selectors
from accounts.otpqr import qr_data_uri
from accounts.redirects import safe_next
from accounts.services import authentication
from accounts.services import twofactor as service
from accounts.twofactor_forms import CodeForm, ConfirmCodeForm


def _refused(request, template: str, context: dict, form, error: service.TwoFactorError):
    """Re-render `template` (whose context holds `form`) with the service's message; a lockout is a 429."""
    form.add_error("code", str(error))
    response = render(request, template, context)
    if isinstance(error, service.TwoFactorLocked):
        response.status_code = 429
        response["Retry-After"] = str(error.retry_after)
    return response


def _settings_context(request, **forms) -> dict:
    user = request.user
    return {
        "enabled": service.twofactor_enabled(user),
        "remaining": selectors.recovery_codes_remaining(user=user),
        "regenerate_form": forms.get("regenerate_form") or CodeForm(prefix="regenerate"),
        "disable_form": forms.get("disable_form") or CodeForm(prefix="disable"),
    }


def _recovery_codes_page(request, codes: list[str]):
    return render(request, "accounts/twofactor_recovery.html", {"codes": codes})


@never_cache
@login_required
def twofactor_settings(request):
    return render(request, "accounts/twofactor_settings.html", _settings_context(request))


@never_cache
@login_required
@require_POST
def twofactor_start(request):
    try:
        service.totp_device_start(user=request.user)
    except service.TwoFactorError as error:
        messages.info(request, str(error))
        return redirect("accounts:twofactor")
    return redirect("accounts:twofactor-setup")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def twofactor_setup(request):
    device = selectors.totp_device_pending(user=request.user)
    if device is None:
        return redirect("accounts:twofactor")
    uri = service.totp_provisioning_uri(device=device)
    context = {"qr": qr_data_uri(uri), "secret": device.secret}
    form = ConfirmCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = service.totp_device_confirm(user=request.user, code=form.cleaned_data["code"], request=request)
        except service.TwoFactorError as error:
            return _refused(request, "accounts/twofactor_setup.html", {**context, "form": form}, form, error)
        messages.success(request, "Two-factor authentication is on.")
        return _recovery_codes_page(request, codes)
    return render(request, "accounts/twofactor_setup.html", {**context, "form": form})


@never_cache
@login_required
@require_POST
def twofactor_regenerate(request):
    form = CodeForm(request.POST, prefix="regenerate")
    if form.is_valid():
        try:
            codes = service.recovery_codes_regenerate(
                user=request.user, code=form.cleaned_data["code"], request=request
            )
        except service.TwoFactorError as error:
            context = _settings_context(request, regenerate_form=form)
            return _refused(request, "accounts/twofactor_settings.html", context, form, error)
        messages.success(request, "New recovery codes made; the old ones no longer work.")
        return _recovery_codes_page(request, codes)
    return render(request, "accounts/twofactor_settings.html", _settings_context(request, regenerate_form=form))


@never_cache
@login_required
@require_POST
def twofactor_disable(request):
    form = CodeForm(request.POST, prefix="disable")
    if form.is_valid():
        try:
            service.twofactor_disable(user=request.user, code=form.cleaned_data["code"], request=request)
        except service.TwoFactorError as error:
            context = _settings_context(request, disable_form=form)
            return _refused(request, "accounts/twofactor_settings.html", context, form, error)
        messages.success(request, "Two-factor authentication is off. Your password alone now signs you in.")
        return redirect("accounts:twofactor")
    return render(request, "accounts/twofactor_settings.html", _settings_context(request, disable_form=form))


@never_cache
@require_http_methods(["GET", "POST"])
def login_twofactor(request):
    """The second step of signing in, or a step-up for a signed-in user (the admin asks for one)."""
    pending = authentication.pending_login_user(request)
    if pending is not None:
        user, remember_me = pending
    elif request.user.is_authenticated and service.twofactor_enabled(request.user):
        user, remember_me = request.user, None
    else:
        messages.info(request, "Sign in with your password first.")
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    context = {"form": form, "next": safe_next(request), "step_up": remember_me is None}
    if request.method == "POST" and form.is_valid():
        try:
            method = service.twofactor_check(user=user, code=form.cleaned_data["code"], request=request)
        except service.TwoFactorError as error:
            return _refused(request, "accounts/twofactor_verify.html", context, form, error)
        if remember_me is not None:
            authentication.login_complete(request, user, remember_me=remember_me)
        # Set after login_complete: the flag must live in the session the user now holds.
        service.session_mark_verified(request=request)
        if method == "recovery":
            left = selectors.recovery_codes_remaining(user=user)
            messages.warning(request, f"You used a recovery code; {left} left. Make new ones in two-factor settings.")
        return HttpResponseRedirect(context["next"])
    return render(request, "accounts/twofactor_verify.html", context)
