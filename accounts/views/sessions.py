"""The sessions page (revoke one, all others, or everywhere) and the account activity page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import activity_page_for_user, session_list_for_user
from accounts.services.sessions import session_logout_everywhere, session_revoke, session_revoke_others


@login_required
@require_GET
def session_list_view(request):
    context = {"sessions": session_list_for_user(user=request.user), "current_key": request.session.session_key}
    return render(request, "accounts/session_list.html", context)


@login_required
@require_POST
def session_revoke_view(request, session_id: int):
    if session_revoke(user=request.user, session_id=session_id, request=request):
        messages.success(request, "The session was signed out.")
    else:
        messages.error(request, "That session no longer exists.")
    return redirect("accounts:sessions" if request.user.is_authenticated else "accounts:login")


@login_required
@require_POST
def session_revoke_others_view(request):
    count = session_revoke_others(user=request.user, request=request)
    messages.success(request, f"Signed out {count} other session(s).")
    return redirect("accounts:sessions")


@login_required
@require_POST
def logout_everywhere_view(request):
    session_logout_everywhere(user=request.user, request=request)
    messages.success(request, "You were signed out everywhere.")
    return redirect("accounts:login")


@login_required
@require_GET
def activity_view(request):
    page = activity_page_for_user(user=request.user, page=request.GET.get("page"))
    return render(request, "accounts/activity_list.html", {"page": page})
