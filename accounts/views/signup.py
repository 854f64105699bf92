"""Sign-up and email verification pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.clientinfo import client_ip
from accounts.forms import SignupForm
from accounts.services.limits import SIGNUP_IP, VERIFY_RESEND, ip_subject
from accounts.services.registration import VerificationError, email_verification_send, email_verify, user_signup
from accounts.services.throttle import throttle_failure, throttle_retry_after
from accounts.views.signin import too_many_attempts


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup_view(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        address = ip_subject(client_ip(request))
        retry_after = throttle_retry_after(SIGNUP_IP, address)
        if retry_after:
            return too_many_attempts(request, "accounts/signup_form.html", {"form": form}, retry_after)
        if form.is_valid():
            throttle_failure(SIGNUP_IP, address)
            data = form.cleaned_data
            user_signup(
                email=data["email"], display_name=data["display_name"], password=data["password1"], request=request
            )
            # The same page whether the address was new or not: nothing here tells the difference.
            return render(request, "accounts/signup_sent.html", {"email": data["email"]})
    return render(request, "accounts/signup_form.html", {"form": form})


@require_http_methods(["GET"])
def verify_email_view(request, token: str):
    try:
        email_verify(token=token, request=request)
    except VerificationError as error:
        return render(request, "accounts/verify_failed.html", {"reason": str(error)}, status=400)
    messages.success(request, "Your email address is verified.")
    return redirect("home" if request.user.is_authenticated else "accounts:login")


@login_required
@require_POST
def verify_email_resend_view(request):
    if request.user.email_verified:
        messages.info(request, "Your email address is already verified.")
        return redirect("home")
    retry_after = throttle_retry_after(VERIFY_RESEND, str(request.user.pk))
    if retry_after:
        return too_many_attempts(request, "accounts/verify_failed.html", {"reason": "Too many mails."}, retry_after)
    throttle_failure(VERIFY_RESEND, str(request.user.pk))
    email_verification_send(user=request.user, request=request)
    messages.success(request, f"We sent a new verification link to {request.user.email}.")
    return redirect("home")
