"""Site-wide pages that belong to no app."""

from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe


@require_safe
def favicon(request):
    # Browsers ask for /favicon.ico whatever the page says; resolved per request because the
    # hashed static name is only known once collectstatic has run.
    return HttpResponsePermanentRedirect(static("favicon.svg"))
