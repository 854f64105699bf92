"""The share-link form: which version, for how long, how many views, an optional passphrase."""

import datetime

from django import forms
from django.conf import settings

from vault.services.shares import PASSPHRASE_MAX_LENGTH

LIFETIMES = {
    "1h": ("1 hour", datetime.timedelta(hours=1)),
    "1d": ("1 day", datetime.timedelta(days=1)),
    "7d": ("7 days", datetime.timedelta(days=7)),
    "30d": ("30 days", datetime.timedelta(days=30)),
}


def lifetime_choices() -> list[tuple[str, str]]:
    """The lifetimes VAULT_SHARE_MAX_DAYS allows (an hour is always allowed)."""
    longest = datetime.timedelta(days=settings.VAULT_SHARE_MAX_DAYS)
    return [(key, label) for key, (label, span) in LIFETIMES.items() if span <= longest or key == "1h"]


class ShareCreateForm(forms.Form):
    """`versions` are the active version numbers; `ask_password` adds the account password (a stale sign-in)."""

    version = forms.TypedChoiceField(coerce=int)
    lifetime = forms.ChoiceField(label="Expires after", initial="1d")
    passphrase = forms.CharField(
        required=False,
        strip=False,
        max_length=PASSPHRASE_MAX_LENGTH,
        label="Passphrase (optional)",
        help_text="The recipient must type it to open the link. Send it by another channel.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    passphrase_confirm = forms.CharField(
        required=False,
        strip=False,
        max_length=PASSPHRASE_MAX_LENGTH,
        label="Passphrase again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, versions: list[int], ask_password: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = [(v, f"Version {v}") for v in versions]
        self.fields["lifetime"].choices = lifetime_choices()
        # Built here, not on the class, so the limit follows the settings (tests override them).
        self.fields["max_views"] = forms.IntegerField(
            label="Views allowed",
            min_value=1,
            max_value=settings.VAULT_SHARE_MAX_VIEWS,
            initial=1,
            help_text=f"1 to {settings.VAULT_SHARE_MAX_VIEWS}; each opening uses one.",
        )
        self.order_fields(["version", "lifetime", "max_views", "passphrase", "passphrase_confirm"])
        if ask_password:
            # Checked by the view through reveal_password_confirm, which throttles and audits it.
            self.fields["password"] = forms.CharField(
                strip=False,
                max_length=4096,
                label="Your account password",
                help_text="Sharing reveals the values, so it needs a recent sign-in.",
                widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("passphrase", "") != cleaned.get("passphrase_confirm", ""):
            self.add_error("passphrase_confirm", "The two passphrases differ.")
        if "lifetime" in cleaned:
            cleaned["lifetime"] = LIFETIMES[cleaned["lifetime"]][1]
        return cleaned
