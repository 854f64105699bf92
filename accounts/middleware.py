"""Session upkeep on every request: idle timeout, last-seen times, and no-store on account pages."""

import time

from django.conf import settings
from django.contrib import messages
from django.utils.cache import add_never_cache_headers

from accounts.services.authentication import SEEN_KEY
from accounts.services.sessions import session_logout, session_touch

# Last-seen is written at most this often, so an active browser costs one UPDATE a minute, not
# one per request. The idle timeout is therefore exact to within this many seconds.
TOUCH_INTERVAL = 60


class SessionActivityMiddleware:
    """Ends browser-length sessions idle for SESSION_IDLE_SECONDS and keeps UserSession.last_seen."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self._upkeep(request)
        return self.get_response(request)

    def _upkeep(self, request) -> None:
        now = int(time.time())
        seen = request.session.get(SEEN_KEY)
        browser_length = request.session.get_expire_at_browser_close()
        if browser_length and seen is not None and now - seen > settings.SESSION_IDLE_SECONDS:
            session_logout(request=request, reason="idle")
            messages.info(request, "You were signed out after a period of inactivity.")
            return
        if seen is None or now - seen >= TOUCH_INTERVAL:
            request.session[SEEN_KEY] = now
            session_touch(request=request)


class AccountPagesNoStoreMiddleware:
    """`Cache-Control: no-store` on every page in the accounts namespace, whatever the view returns:
    a shared or back-button cache must never keep a sessions list or a reset form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and "accounts" in match.namespaces:
            add_never_cache_headers(response)
        return response
