"""Who is asking: the client's IP (trusting X-Forwarded-For only from configured proxies) and user agent."""

import contextlib
import ipaddress
from functools import cache

from django.conf import settings

USER_AGENT_MAX = 300


@cache
def _trusted_proxies() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in settings.TRUSTED_PROXIES)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _trusted_proxies())


# Where client_ip keeps its answer on the request: a reveal asks for it twice (token use, audit record), and
# each answer parses addresses.
_MEMO = "_keyhold_client_ip"


def client_ip(request) -> str | None:
    """The address of the client. X-Forwarded-For is read right to left and only through trusted
    proxies, so a client cannot choose its own address by sending the header itself."""
    try:
        return request.__dict__[_MEMO]
    except (KeyError, AttributeError):
        pass
    address = _client_ip(request)
    with contextlib.suppress(AttributeError):
        request.__dict__[_MEMO] = address
    return address


def _client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    if remote is None or not _is_trusted(remote):
        return _valid_or_none(remote)
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(forwarded):
        if not _is_trusted(hop):
            return _valid_or_none(hop)
    return _valid_or_none(remote)


def _valid_or_none(address: str | None) -> str | None:
    if address is None:
        return None
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]
