"""Vault forms: parse what a person typed; the vault services decide what is valid and write it."""

from django import forms

from vault.models import PATH_MAX_LENGTH
from vault.services.validation import MAX_FIELDS

# Blank rows a form offers without JavaScript (secret-fields.js adds more on demand).
MIN_FIELD_ROWS = 3


class FieldRowsMixin:
    """Reads the repeated `field_name` / `field_value` inputs into (name, value) pairs.

    Rows with neither a name nor a value are ignored (the spare blank rows); everything else goes to the
    service as typed, so it reports repeated names and bad text in its own words.
    """

    def clean_rows(self) -> list[tuple[str, str]]:
        names = self.data.getlist("field_name")
        values = self.data.getlist("field_value")
        if len(names) != len(values):
            raise forms.ValidationError("Each field needs a name and a value.")
        if len(names) > MAX_FIELDS + MIN_FIELD_ROWS:
            raise forms.ValidationError(f"A secret holds at most {MAX_FIELDS} fields.")
        rows = []
        for name, value in zip(names, values, strict=True):
            if not name and not value:
                continue
            if not name.strip():
                raise forms.ValidationError("A field has a value but no name.")
            if not value:
                # Never store a blank by accident: an edit shows names only until values are revealed.
                raise forms.ValidationError(f"Enter a value for the field {name!r} (or remove the row).")
            rows.append((name, value))
        if not rows:
            raise forms.ValidationError("A secret needs at least one field.")
        return rows

    def field_rows(self) -> list[tuple[str, str]]:
        """The rows to render: what was posted (or the initial rows), padded with blank rows."""
        if self.is_bound:
            rows = list(zip(self.data.getlist("field_name"), self.data.getlist("field_value"), strict=False))
        else:
            rows = list(self.initial.get("rows", []))
        rows = [row for row in rows if row[0] or row[1]]
        rows += [("", "")] * max(MIN_FIELD_ROWS - len(rows), 1 if rows else 0)
        return rows

    def clean(self):
        cleaned = super().clean()
        try:
            cleaned["rows"] = self.clean_rows()
        except forms.ValidationError as error:
            self.add_error(None, error)
        return cleaned


def tags_parse(text: str) -> list[str]:
    """Comma- or newline-separated tags, blanks dropped (their rules are the service's)."""
    return [tag.strip() for tag in text.replace("\n", ",").split(",") if tag.strip()]


class SecretCreateForm(FieldRowsMixin, forms.Form):
    # strip=False: the service refuses surrounding spaces with a clear message instead of us rewriting the path.
    path = forms.CharField(
        max_length=PATH_MAX_LENGTH,
        strip=False,
        help_text="Folders separated by /, for example <code>prod/db/postgres</code>.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    notes = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3}))
    tags = forms.CharField(required=False, help_text="Separated by commas.")

    def clean_tags(self) -> list[str]:
        return tags_parse(self.cleaned_data["tags"])


class SecretEditForm(FieldRowsMixin, forms.Form):
    """A new version of an existing secret; `cas` is the version the edit started from."""

    cas = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    notes = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3}))
    tags = forms.CharField(required=False, help_text="Separated by commas.")

    def clean_tags(self) -> list[str]:
        return tags_parse(self.cleaned_data["tags"])


class VersionForm(forms.Form):
    """A version number posted by a button."""

    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)


class VersionActionForm(VersionForm):
    action = forms.ChoiceField(choices=[(a, a) for a in ("restore", "delete", "undelete", "destroy")])
    cas = forms.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    confirm = forms.BooleanField(required=False)


class PasswordConfirmForm(forms.Form):
    """The account password, asked again before a reveal when the last sign-in is too old.

    The check itself is vault.services.reveal_password_confirm, which throttles and audits it.
    """

    password = forms.CharField(
        strip=False, max_length=4096, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class SecretMoveForm(forms.Form):
    """The new path of a secret; the service validates it (traversal, length, taken)."""

    new_path = forms.CharField(
        max_length=PATH_MAX_LENGTH,
        strip=False,
        label="New path",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class ConfirmForm(forms.Form):
    """A destructive action's explicit confirmation."""

    confirm = forms.BooleanField(required=False)


class VersionDiffForm(forms.Form):
    """Two version numbers to compare."""

    a = forms.IntegerField(min_value=1, max_value=2**31 - 1, label="From version")
    b = forms.IntegerField(min_value=1, max_value=2**31 - 1, label="To version")


class TrashActionForm(VersionForm):
    """Undelete or destroy one soft-deleted version from the trash."""

    action = forms.ChoiceField(choices=[(a, a) for a in ("undelete", "destroy")])
    confirm = forms.BooleanField(required=False)
