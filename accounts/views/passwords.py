"""Password change (old password required) and password reset by email."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.forms import PasswordChangeLimitedForm, PasswordResetRequestForm, SetPasswordLimitedForm
from accounts.services.passwords import password_change, password_reset_complete, password_reset_request
from accounts.views.signin import too_many_attempts


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request):
    form = PasswordChangeLimitedForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        ended = password_change(user=request.user, new_password=form.cleaned_data["new_password1"], request=request)
        messages.success(request, f"Password changed. {ended} other session(s) were signed out.")
        return redirect("accounts:sessions")
    return render(request, "accounts/password_change.html", {"form": form})


@require_http_methods(["GET", "POST"])
def password_reset_view(request):
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        retry_after = password_reset_request(email=form.cleaned_data["email"], request=request)
        if retry_after:
            return too_many_attempts(request, "accounts/password_reset.html", {"form": form}, retry_after)
        return render(request, "accounts/password_reset_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "accounts/password_reset.html", {"form": form})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's link check (the token moves from the URL into the session before the form shows, so
    it never leaks through Referer), with our form and service. A bad or used link is a 400."""

    form_class = SetPasswordLimitedForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form):
        password_reset_complete(user=form.user, new_password=form.cleaned_data["new_password1"], request=self.request)
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, "Your password was reset and every session signed out. Sign in with it now.")
        return redirect(self.success_url)

    def render_to_response(self, context, **kwargs):
        if not context.get("validlink"):
            kwargs["status"] = 400
        return super().render_to_response(context, **kwargs)
