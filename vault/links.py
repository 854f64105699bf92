"""Links to a secret's page without a reverse() per row: a list links every row, and reverse() costs ~50 us."""

from functools import lru_cache
from urllib.parse import quote

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS

# What reverse() leaves unquoted in a URL (django.urls.resolvers), so both give the same link.
_SAFE = RFC3986_SUBDELIMS + "/~:@"
_MARK = "keyhold-secret-path"


@lru_cache(maxsize=32)
def _detail_prefix(script_prefix: str, urlconf) -> str:
    # Keyed by what reverse() depends on besides the path: the script prefix and the active URLconf.
    url = reverse("vault:secret-detail", kwargs={"secret_path": _MARK}, urlconf=urlconf)
    return url[: url.rindex(_MARK)]


def secret_detail_url(path: str) -> str:
    """What reverse("vault:secret-detail", kwargs={"secret_path": path}) gives, for a stored (non-empty) path."""
    return _detail_prefix(get_script_prefix(), get_urlconf()) + quote(path, safe=_SAFE)
