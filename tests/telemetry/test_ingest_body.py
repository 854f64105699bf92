"""Ingest bodies: gzip (a bomb is a 413 in bounded memory, corrupt is a 400), lengths, and a down broker."""

import gzip
import io
import tracemalloc
import zlib

import pytest

from devstack.ports import free_port
from tests.broker import publishing_to
from tests.telemetry import ingest_support
from tests.telemetry.ingest_support import lines

pytestmark = pytest.mark.django_db

V2 = ingest_support.V2
JSON = "/api/telemetry/readings"

broker_queue = pytest.fixture(ingest_support.broker_queue)
owner = pytest.fixture(ingest_support.owner)
sensor = pytest.fixture(ingest_support.sensor)

write = pytest.fixture(ingest_support.write)


def bomb(decompressed_bytes: int) -> bytes:
    """A small gzip stream of many zeros, built without holding them in memory."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    parts = [squeeze.compress(block) for _ in range(decompressed_bytes // len(block))]
    return b"".join(parts) + squeeze.flush()


def test_a_gzip_body_is_read(write, broker_queue):
    assert write(gzip.compress(lines(500)), **{"Content-Encoding": "gzip"}).status_code == 204
    assert len(broker_queue()) == 500


def test_concatenated_gzip_members_are_one_body(write, broker_queue):
    body = gzip.compress(lines(3) + b"\n") + gzip.compress(lines(2, start=3))
    assert write(body, **{"Content-Encoding": "gzip"}).status_code == 204
    assert len(broker_queue()) == 5


def test_a_gzip_json_batch_is_read(write, broker_queue):
    body = gzip.compress(b'[{"metric": "t", "value": 1}]')
    response = write(body, url=JSON, content_type="application/json", **{"Content-Encoding": "gzip"})
    assert response.status_code == 204
    assert len(broker_queue()) == 1


def test_a_gzip_bomb_is_413_without_inflating_it(write, settings, broker_queue):
    settings.TELEMETRY_INGEST_MAX_BYTES = 1024 * 1024
    body = bomb(512 * 1024 * 1024)
    assert len(body) < 1024 * 1024
    tracemalloc.start()
    try:
        response = write(body, **{"Content-Encoding": "gzip"})
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    assert response.json()["code"] == "request too large"
    # 512 MiB inflated would show; the limit plus a few slices and the compressed body is what may.
    assert peak < 12 * 1024 * 1024
    assert broker_queue() == []


@pytest.mark.parametrize(
    "body",
    [
        gzip.compress(b"t value=1\n" * 100)[:-12],  # truncated
        gzip.compress(b"t value=1\n")[:10] + b"\x00garbage\xff" * 5,  # corrupt deflate data
        b"t value=1\n",  # not gzip at all
        gzip.compress(b"t value=1") + b"trailing junk",
    ],
    ids=["truncated", "corrupt", "plain", "trailing"],
)
def test_broken_gzip_is_400(write, body, broker_queue):
    response = write(body, **{"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert "gzip" in response.json()["message"]
    assert broker_queue() == []


@pytest.mark.parametrize("encoding", ["br", "deflate", "compress", "gzip, br"])
def test_other_content_encodings_are_415(write, encoding, broker_queue):
    assert write(lines(1), **{"Content-Encoding": encoding}).status_code == 415


def test_a_chunked_body_without_length_is_411(client, sensor, broker_queue):
    _sensor, token = sensor
    response = client.generic(
        "POST",
        V2,
        lines(1),
        content_type="text/plain",
        HTTP_AUTHORIZATION=f"Token {token}",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411
    assert broker_queue() == []


def test_a_chunked_body_is_read_when_the_server_decodes_chunking(client, sensor, settings, broker_queue):
    # gunicorn decodes chunked bodies and says so with wsgi.input_terminated (Telegraf sends gzip chunked).
    _sensor, token = sensor
    extra = {"HTTP_AUTHORIZATION": f"Token {token}", "CONTENT_LENGTH": "", "HTTP_TRANSFER_ENCODING": "chunked"}
    body = gzip.compress(lines(5))
    extra["wsgi.input"] = io.BytesIO(body)  # a stream, as gunicorn's, that may be asked for more than it holds
    response = client.generic(
        "POST",
        V2,
        body,
        content_type="text/plain",
        HTTP_CONTENT_ENCODING="gzip",
        **extra,
        **{"wsgi.input_terminated": True},
    )
    assert response.status_code == 204
    assert len(broker_queue()) == 5
    settings.TELEMETRY_INGEST_MAX_BYTES = 64 * 1024
    extra["wsgi.input"] = io.BytesIO(lines(2000))
    response = client.generic(
        "POST", V2, lines(2000), content_type="text/plain", **extra, **{"wsgi.input_terminated": True}
    )
    assert response.status_code == 413


def test_a_bad_content_length_is_400(client, sensor, broker_queue):
    _sensor, token = sensor
    response = client.generic(
        "POST", V2, lines(1), content_type="text/plain", HTTP_AUTHORIZATION=f"Token {token}", CONTENT_LENGTH="12x"
    )
    assert response.status_code == 400


@pytest.fixture
def broker_down(broker_queue):
    """Point the app's publishing at a port where nothing listens: a real refused connection, not a mock."""
    with publishing_to(f"redis://127.0.0.1:{free_port()}/0"):
        yield


@pytest.mark.parametrize(
    ("url", "body", "content_type"),
    [
        (V2, lines(10), "text/plain"),
        ("/write?db=x", lines(10), "text/plain"),
        (JSON, b'[{"metric": "t", "value": 1}, {"metric": "t", "value": null}]', "application/json"),
    ],
)
def test_a_down_broker_is_503_with_retry_after_and_nothing_counted(
    write, broker_down, url, body, content_type, broker_queue, mongo_db
):
    response = write(body, url=url, content_type=content_type)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "unavailable" in response.content.decode()
    assert broker_queue() == []
    # Rejected lines are counted only once the rest was accepted: a retry must not count them twice.
    assert mongo_db["rejects"].count_documents({}) == 0


def test_after_the_broker_is_back_the_retry_lands(write, broker_queue):
    assert write(lines(10)).status_code == 204
    assert len(broker_queue()) == 10
