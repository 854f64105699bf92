"""Secret pages: list with folders and search, create, metadata-only detail, and edit with check-and-set."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render

from vault import selectors
from vault.forms import SecretCreateForm, SecretEditForm
from vault.models import PATH_MAX_LENGTH
from vault.services import RevealedSecret, VaultError, secret_create, secret_metadata_update, secret_update
from vault.services.validation import folder_normalize
from vault.views.access import vault_error, vault_page
from vault.views.reveal import reveal_or_confirm


def _breadcrumbs(folder: str) -> list[tuple[str, str]]:
    """(name, folder prefix) for each level of `folder`."""
    crumbs, prefix = [], ""
    for name in folder.rstrip("/").split("/") if folder else []:
        prefix += name + "/"
        crumbs.append((name, prefix))
    return crumbs


@vault_page("GET")
def secret_list(request):
    query = request.GET.get("q", "").strip()
    after = request.GET.get("after") or None
    try:
        folder = folder_normalize(request.GET.get("folder", ""))
        page = selectors.secret_list_for_user(user=request.user, folder=folder, query=query, after=after)
        # Sub-folders are for browsing; while searching, the matches from every sub-folder are listed.
        folders = [] if query else selectors.secret_folders(user=request.user, folder=folder)
    except VaultError as error:
        return vault_error(request, error)
    context = {
        "folder": folder,
        "breadcrumbs": _breadcrumbs(folder),
        "folders": folders,
        "query": query,
        "secrets": page.secrets,
        "next_after": page.next_after,
        "paged": bool(after),
    }
    return render(request, "vault/secret_list.html", context)


@vault_page("GET", "POST")
def secret_new(request):
    form = SecretCreateForm(
        request.POST if request.method == "POST" else None, initial={"path": request.GET.get("folder", "")}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                secret_create(
                    owner=request.user,
                    path=data["path"],
                    fields=data["rows"],
                    notes=data["notes"],
                    tags=data["tags"],
                    request=request,
                )
            except VaultError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                messages.success(request, "Secret saved.")
                return redirect("vault:secret-detail", secret_path=data["path"])
    return render(request, "vault/secret_create.html", {"form": form}, status=status)


@vault_page("GET")
def secret_detail(request, secret_path: str):
    try:
        secret = selectors.secret_detail(user=request.user, path=secret_path)
    except VaultError as error:
        return vault_error(request, error, secret_path=secret_path)
    versions = selectors.secret_version_list(secret=secret)
    current = next((v for v in versions if v.version == secret.current_version), None)
    context = {"secret": secret, "versions": versions, "current": current, "path_max_length": PATH_MAX_LENGTH}
    return render(request, "vault/secret_detail.html", context)


@vault_page("GET", "POST")
def secret_edit(request, secret_path: str):
    try:
        secret = selectors.secret_detail(user=request.user, path=secret_path)
    except VaultError as error:
        return vault_error(request, error, secret_path=secret_path)
    context = {"secret": secret, "revealed": False}
    status = 200
    if request.method == "POST" and "reveal" in request.POST:
        # Values come in only after an explicit reveal of the version the edit is based on.
        revealed = reveal_or_confirm(
            request, secret_path=secret.path, version=secret.current_version, hidden={"reveal": "1"}
        )
        if not isinstance(revealed, RevealedSecret):
            return revealed
        initial = {
            "cas": revealed.version,
            "rows": list(revealed.fields.items()),
            "notes": revealed.notes,
            "tags": ", ".join(secret.tags),
        }
        form = SecretEditForm(initial=initial)
        context["revealed"] = True
    elif request.method == "POST":
        form = SecretEditForm(request.POST)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    secret_update(
                        owner=request.user,
                        path=secret.path,
                        fields=data["rows"],
                        notes=data["notes"],
                        cas=data["cas"],
                        request=request,
                    )
                    if data["tags"] != secret.tags:
                        secret_metadata_update(owner=request.user, path=secret.path, tags=data["tags"], request=request)
            except VaultError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                messages.success(request, "Saved as a new version.")
                return redirect("vault:secret-detail", secret_path=secret.path)
        context["revealed"] = True
    else:
        versions = selectors.secret_version_list(secret=secret)
        names = next((v.field_names for v in versions if v.version == secret.current_version), [])
        initial = {
            "cas": secret.current_version,
            "rows": [(name, "") for name in names],
            "tags": ", ".join(secret.tags),
        }
        form = SecretEditForm(initial=initial)
    context["form"] = form
    return render(request, "vault/secret_edit.html", context, status=status)
