"""Forms for two-factor pages: one code field, checked by the service."""

from django import forms

from accounts.services.twofactor import CODE_MAX_LENGTH


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=CODE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off"}),
    )


class ConfirmCodeForm(CodeForm):
    """Set-up confirmation: only the 6-digit code from the app works here."""

    code = forms.CharField(
        label="Code from your app",
        max_length=CODE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
