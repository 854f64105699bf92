"""Read an ingest request's body within TELEMETRY_INGEST_MAX_BYTES, gunzipping it with the same bound.

The bound holds after decompression too, read in slices: a gzip bomb stops at the limit (413) and
never grows in memory; corrupt or truncated gzip is a 400.
"""

import zlib

from django.conf import settings

from telemetry.ingest.errors import IngestRefused, LengthRequired, TooLarge, UnsupportedMediaType

GZIP_WBITS = 16 + zlib.MAX_WBITS
SLICE_BYTES = 64 * 1024


def media_type(request) -> str:
    """The Content-Type without parameters, lower case ("" when absent)."""
    return request.META.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()


def _raw(request, limit: int) -> bytes:
    length = request.META.get("CONTENT_LENGTH") or ""
    if not length and request.META.get("HTTP_TRANSFER_ENCODING"):
        # Telegraf streams gzip bodies chunked. gunicorn decodes chunking and marks its stream
        # terminated (wsgi.input_terminated); Django itself would read nothing without a length.
        if not request.META.get("wsgi.input_terminated"):
            raise LengthRequired("Send the body with a Content-Length header.")
        body = request.META["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            raise TooLarge(f"The body is larger than {limit} bytes.")
        return body
    try:
        declared = int(length or 0)
    except ValueError:
        raise IngestRefused("The Content-Length header is not a number.") from None
    if declared > limit:
        raise TooLarge(f"The body is larger than {limit} bytes.")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise TooLarge(f"The body is larger than {limit} bytes.")
    return body


def _gunzip(data: bytes, limit: int) -> bytes:
    out = bytearray()
    try:
        while data:
            member = zlib.decompressobj(GZIP_WBITS)
            chunk = member.decompress(data, limit + 1 - len(out))
            while True:
                out += chunk
                if len(out) > limit:
                    raise TooLarge(f"The decompressed body is larger than {limit} bytes.")
                if not member.unconsumed_tail:
                    break
                chunk = member.decompress(member.unconsumed_tail, limit + 1 - len(out))
            if not member.eof:
                raise IngestRefused("The gzip body is truncated.")
            # Several gzip members in a row are one stream (what `cat a.gz b.gz` makes).
            data = member.unused_data
    except zlib.error:
        raise IngestRefused("The gzip body is corrupt.") from None
    return bytes(out)


def body_read(request) -> bytes:
    """The request's body, decompressed when Content-Encoding is gzip; raises IngestRefused subclasses."""
    limit = settings.TELEMETRY_INGEST_MAX_BYTES
    encoding = request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if encoding not in ("", "identity", "gzip"):
        raise UnsupportedMediaType("Content-Encoding must be gzip or absent.")
    body = _raw(request, limit)
    return _gunzip(body, limit) if encoding == "gzip" else body
