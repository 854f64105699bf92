"""Forms of the import and export pages: they collect choices; the transfer services decide and do."""

from django import forms

from vault.models import PATH_MAX_LENGTH
from vault.transfer.exporting import MIN_PASSPHRASE_LENGTH

IMPORT_KINDS = [
    ("json", "JSON (nested objects become folders)"),
    ("env", ".env (one secret, one field per variable)"),
    ("bitwarden", "Bitwarden CSV"),
]
EXPORT_FORMATS = [("json", "JSON (nested, importable again)"), ("env", ".env (PATH_FIELD=value; notes are left out)")]
ENCRYPTIONS = [
    ("passphrase", "A passphrase (scrypt + AES-256-GCM)"),
    ("recipient", "A public key (X25519 + HKDF + AES-256-GCM)"),
    ("none", "None: plaintext"),
]


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label="Format", choices=IMPORT_KINDS, widget=forms.RadioSelect, initial="json")
    file = forms.FileField(label="File to import", allow_empty_file=False)
    env_path = forms.CharField(
        label="Path for a .env file",
        required=False,
        strip=False,
        max_length=PATH_MAX_LENGTH,
        help_text="A .env file becomes one secret at this path, for example <code>prod/api/env</code>.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == "env" and not cleaned.get("env_path"):
            self.add_error("env_path", "Say at which path the .env file's secret goes.")
        return cleaned


class ImportCommitForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, strip=False)
    skip_existing = forms.BooleanField(label="Skip secrets that already exist (write new secrets only)", required=False)


class ExportForm(forms.Form):
    folder = forms.CharField(
        label="Folder",
        required=False,
        strip=False,
        max_length=PATH_MAX_LENGTH,
        help_text="Empty: every secret. Or a folder such as <code>prod/</code>; paths are then relative to it.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    fmt = forms.ChoiceField(label="Format", choices=EXPORT_FORMATS, widget=forms.RadioSelect, initial="json")
    encryption = forms.ChoiceField(
        label="Encrypt to", choices=ENCRYPTIONS, widget=forms.RadioSelect, initial="passphrase"
    )
    passphrase = forms.CharField(
        label="Passphrase",
        required=False,
        strip=False,
        help_text=f"At least {MIN_PASSPHRASE_LENGTH} characters. Nobody can recover the export without it.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    passphrase_again = forms.CharField(
        label="Passphrase again",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    recipient = forms.CharField(
        label="Recipient public key",
        required=False,
        help_text="<code>keyhold-x25519:…</code>, made by <code>manage.py vault_export_keygen</code>.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    plaintext_ok = forms.BooleanField(
        label="I understand a plaintext export shows every value to anyone who gets the file", required=False
    )
    password = forms.CharField(
        label="Your account password",
        strip=False,
        help_text="Exporting reads every value, so it always asks for your password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        encryption = cleaned.get("encryption")
        if encryption == "none" and not cleaned.get("plaintext_ok"):
            self.add_error("plaintext_ok", "Tick this to export without encryption, or choose an encryption.")
        if encryption == "passphrase":
            if not cleaned.get("passphrase"):
                self.add_error("passphrase", "Enter a passphrase.")
            elif cleaned.get("passphrase") != cleaned.get("passphrase_again"):
                self.add_error("passphrase_again", "The two passphrases differ.")
        if encryption == "recipient" and not cleaned.get("recipient"):
            self.add_error("recipient", "Paste the recipient's public key.")
        return cleaned
