"""The API token form: name, scopes, vault path prefixes and expiry, each bounded."""

import re

from django import forms

from accounts.services.tokens import EXPIRY_DAYS_CHOICES

PATH_PREFIX_PATTERN = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")
PATH_PREFIX_MAX_LENGTH = 200
PATH_PREFIXES_MAX = 20
NEVER = "never"
EXPIRY_CHOICES = [(str(days), f"{days} days") for days in EXPIRY_DAYS_CHOICES] + [(NEVER, "Never")]


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses it, e.g. “backup script on nas”.")
    can_read = forms.BooleanField(label="Read", required=False, initial=True)
    can_write = forms.BooleanField(label="Write", required=False)
    path_prefixes = forms.CharField(
        label="Vault paths",
        required=False,
        max_length=PATH_PREFIXES_MAX * (PATH_PREFIX_MAX_LENGTH + 1),
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One per line, starting with the mount, e.g. secret/prod/db. Empty: all your paths.",
    )
    expiry = forms.ChoiceField(label="Expires", choices=EXPIRY_CHOICES, initial="90")

    def clean_path_prefixes(self) -> list[str]:
        # "secret/app/*" (Vault policy style) means the same as "secret/app": prefixes cover whole segments anyway.
        lines = [line.strip().removesuffix("/*").strip("/") for line in self.cleaned_data["path_prefixes"].splitlines()]
        prefixes = list(dict.fromkeys(line for line in lines if line))
        if len(prefixes) > PATH_PREFIXES_MAX:
            raise forms.ValidationError(f"At most {PATH_PREFIXES_MAX} paths.")
        for prefix in prefixes:
            if (
                len(prefix) > PATH_PREFIX_MAX_LENGTH
                or not PATH_PREFIX_PATTERN.fullmatch(prefix)
                or any(segment in {".", ".."} for segment in prefix.split("/"))
            ):
                raise forms.ValidationError(
                    f"“{prefix[:40]}” is not a vault path: use letters, digits, . _ - separated by /."
                )
        return prefixes

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("can_read") or cleaned.get("can_write")):
            raise forms.ValidationError("Choose at least one scope: read or write.")
        return cleaned

    def expires_in_days(self) -> int | None:
        expiry = self.cleaned_data["expiry"]
        return None if expiry == NEVER else int(expiry)
