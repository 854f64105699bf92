"""Import and export pages: upload → preview → commit with a per-row report, and the export download."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from vault.forms_transfer import ExportForm, ImportCommitForm, ImportUploadForm
from vault.services import ReauthenticationLocked, VaultError
from vault.services.errors import RetryLater
from vault.transfer.errors import ExportPasswordWrong, ImportRowFailed, ImportTooLarge
from vault.transfer.exporting import secrets_export
from vault.transfer.importing import import_commit, import_preview
from vault.transfer.upload import BoundedMemoryUpload
from vault.views.access import vault_error, vault_page


@csrf_exempt  # checked by csrf_protect below, once the bounded upload handler is in place
@vault_page("GET", "POST")
def secret_import(request):
    # Before anything reads the body: the file stays in memory and stops at the limit, never on disk.
    handler = BoundedMemoryUpload(request, limit=settings.VAULT_IMPORT_MAX_BYTES)
    request.upload_handlers = [handler]
    return _secret_import(request, handler)


@csrf_protect
def _secret_import(request, handler: BoundedMemoryUpload):
    if request.method == "GET":
        return render(request, "vault/import_upload.html", {"form": ImportUploadForm()})
    form = ImportUploadForm(request.POST, request.FILES)
    if handler.too_large:
        limit = settings.VAULT_IMPORT_MAX_BYTES
        return vault_error(request, ImportTooLarge(f"The file is larger than {limit} bytes, the import limit."))
    if not form.is_valid():
        return render(request, "vault/import_upload.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        preview = import_preview(
            user=request.user, data=data["file"].read(), kind=data["kind"], env_path=data["env_path"]
        )
    except VaultError as error:
        return vault_error(request, error)
    context = {"preview": preview, "commit_form": ImportCommitForm(initial={"token": preview.token})}
    return render(request, "vault/import_preview.html", context, status=200 if preview.committable else 400)


@vault_page("POST")
def secret_import_commit(request):
    form = ImportCommitForm(request.POST)
    if not form.is_valid():
        return vault_error(request, VaultError("The preview is missing; upload the file again."))
    try:
        report = import_commit(
            user=request.user,
            token=form.cleaned_data["token"],
            skip_existing=form.cleaned_data["skip_existing"],
            request=request,
        )
    except ImportRowFailed as error:
        context = {"failed": error, "message": str(error)}
        return render(request, "vault/import_report.html", context, status=error.status)
    except VaultError as error:
        return vault_error(request, error)
    return render(request, "vault/import_report.html", {"report": report})


@sensitive_post_parameters("password", "passphrase", "passphrase_again")
@vault_page("GET", "POST")
def secret_export(request):
    form = ExportForm(request.POST or None, initial={"folder": request.GET.get("folder", "")})
    status, retry_after = (400 if request.method == "POST" else 200), None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            export = secrets_export(
                user=request.user,
                password=data["password"],
                folder=data["folder"],
                fmt=data["fmt"],
                encryption=data["encryption"],
                passphrase=data["passphrase"],
                recipient=data["recipient"],
                request=request,
            )
        except VaultError as error:
            on_password = isinstance(error, ExportPasswordWrong | ReauthenticationLocked)
            form.add_error("password" if on_password else None, str(error))
            status, retry_after = error.status, error.retry_after if isinstance(error, RetryLater) else None
        else:
            response = HttpResponse(export.data, content_type=export.content_type)
            response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
            response["X-Content-Type-Options"] = "nosniff"
            return response
    response = render(request, "vault/export_form.html", {"form": form}, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
