"""Refusals of a whole ingest request, each with its HTTP status and InfluxDB's error code."""


class IngestRefused(Exception):
    """The request as a whole is refused; `str(error)` is safe to show the client."""

    status = 400
    code = "invalid"


class Unauthorized(IngestRefused):
    status = 401
    code = "unauthorized"


class Forbidden(IngestRefused):
    status = 403
    code = "forbidden"


class LengthRequired(IngestRefused):
    status = 411
    code = "invalid"


class TooLarge(IngestRefused):
    status = 413
    code = "request too large"


class UnsupportedMediaType(IngestRefused):
    status = 415
    code = "unsupported media type"
