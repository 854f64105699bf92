"""Forms people fill in: every field has a length limit, checked before anything is hashed."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.validators import MaxLengthValidator

# Above the validator's 128, so an over-long new password gets the validator's clear message;
# far below anything that costs real work to hash.
PASSWORD_FIELD_MAX = 256
EMAIL_MAX = 254
BAD_LOGIN = "Please enter a correct email address and password."


def _password_field(label: str, autocomplete: str, **extra) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=PASSWORD_FIELD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete, "maxlength": PASSWORD_FIELD_MAX}),
        **extra,
    )


class LoginForm(forms.Form):
    # Named "username" like Django's own form, so password managers and older links keep working.
    # A plain text field: an "invalid email" error would differ from the wrong-password message.
    username = forms.CharField(label="Email", max_length=EMAIL_MAX)
    password = _password_field("Password", "current-password")
    remember_me = forms.BooleanField(label="Remember me for 30 days", required=False)


class SignupForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=EMAIL_MAX)
    display_name = forms.CharField(label="Display name", max_length=150, required=False)
    password1 = _password_field(
        "Password", "new-password", help_text=password_validation.password_validators_help_text_html()
    )
    password2 = _password_field("Password again", "new-password")

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords differ.")
        elif password1:
            # Checked against an unsaved user, so "too similar to your email" works before sign-up.
            candidate = get_user_model()(email=cleaned.get("email", ""), display_name=cleaned.get("display_name", ""))
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=EMAIL_MAX)


def limit_password_fields(form, names) -> None:
    """Cap Django's password fields at PASSWORD_FIELD_MAX, in the browser and on the server."""
    for name in names:
        field = form.fields[name]
        field.max_length = PASSWORD_FIELD_MAX
        field.validators.append(MaxLengthValidator(PASSWORD_FIELD_MAX))
        field.widget.attrs["maxlength"] = PASSWORD_FIELD_MAX


class SetPasswordLimitedForm(SetPasswordForm):
    """Django's form for a new password, with length limits on both fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_password_fields(self, ("new_password1", "new_password2"))

    def save(self, commit=True):
        # The service sets the password; this form only validates.
        raise NotImplementedError("use accounts.services.passwords instead")


class PasswordChangeLimitedForm(PasswordChangeForm):
    """Django's password change form (old password required), with length limits on every field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_password_fields(self, ("old_password", "new_password1", "new_password2"))

    def save(self, commit=True):
        raise NotImplementedError("use accounts.services.passwords instead")
