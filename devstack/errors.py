"""Failures the CLI reports as one clear message instead of a traceback."""


class DevstackError(Exception):
    """Something the developer must fix; the message says what, and is printed without a traceback."""


class ServerStartError(DevstackError):
    """An embedded server did not start; the message names it and shows the tail of its log."""


class ServiceUnreachable(DevstackError):
    """A service did not answer; the message names it and the URL tried, password redacted."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl+C so that every `with` and `finally` on the way out runs."""
