"""reverse() once per process: links that pages repeat (the layout's, every row's) cost ~50 us each time."""

from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse


@lru_cache(maxsize=256)
def _reversed(name: str, kwargs: tuple, script_prefix: str, urlconf) -> str:
    # Keyed by all that reverse() depends on besides its arguments: the script prefix, the active URLconf.
    return reverse(name, kwargs=dict(kwargs), urlconf=urlconf)


def reverse_cached(name: str, **kwargs: str) -> str:
    """reverse(name, kwargs=kwargs), remembered per script prefix and URLconf. Only for a bounded set of
    arguments (names, markers): a cache keyed by user data would grow with it."""
    return _reversed(name, tuple(sorted(kwargs.items())), get_script_prefix(), get_urlconf())
