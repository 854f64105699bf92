"""gunicorn's error and access logs through Keyhold's formatters: one line each, tokens redacted, JSON in production."""

import logging

from django.conf import settings
from gunicorn import glogging

from config.logformat import JsonFormatter, PlainFormatter


class KeyholdLogger(glogging.Logger):
    """gunicorn's logger with our formatters, so access lines get the same escaping and redaction as the app's.

    An access line carries the raw request line: a token a client put into a query string (`/write?p=`)
    or a CR/LF smuggled into a path would otherwise reach the log verbatim.
    """

    def setup(self, cfg) -> None:
        super().setup(cfg)
        use_json = settings.LOG_FORMAT == "json"
        for log, fmt in ((self.error_log, self.error_fmt), (self.access_log, self.access_fmt)):
            formatter: logging.Formatter = JsonFormatter() if use_json else PlainFormatter(fmt, self.datefmt)
            for handler in log.handlers:
                handler.setFormatter(formatter)
