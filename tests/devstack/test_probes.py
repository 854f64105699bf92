"""Service checks: an answering server passes, a dead one fails in one line without its password."""

import psycopg2
import pytest

from devstack import probes
from devstack.errors import ServiceUnreachable
from devstack.ports import free_port


def _database_exists(admin_url: str, name: str) -> bool:
    conn = psycopg2.connect(admin_url)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None
    finally:
        conn.close()


def test_a_missing_postgres_database_is_created_for_run_but_left_to_the_tests(running_stack):
    base = running_stack.urls["postgres"].rsplit("/", 1)[0]
    note = probes.check("postgres", "PostgreSQL", f"{base}/left_alone", "DATABASE_URL", create_database=False)
    assert "does not exist" in note
    assert not _database_exists(running_stack.urls["postgres"], "left_alone")

    note = probes.check("postgres", "PostgreSQL", f"{base}/made_for_run", "DATABASE_URL", create_database=True)
    assert note == "created database made_for_run"
    assert _database_exists(running_stack.urls["postgres"], "made_for_run")


@pytest.mark.parametrize(
    ("service", "url"),
    [
        ("cache", "redis://:hunter2@127.0.0.1:{port}/0"),
        ("broker", "redis://user:hunter2@127.0.0.1:{port}/1"),
        ("mongodb", "mongodb://user:hunter2@127.0.0.1:{port}/keyhold"),
        ("postgres", "postgresql://user:hunter2@127.0.0.1:{port}/keyhold"),
    ],
)
def test_an_unreachable_service_fails_in_one_line_without_its_password(service, url, monkeypatch):
    monkeypatch.setattr(probes, "TIMEOUT_SECONDS", 0.5)  # pymongo waits the whole timeout for a closed port
    url = url.format(port=free_port())
    with pytest.raises(ServiceUnreachable) as caught:
        probes.check(service, "The service", url, "SOME_URL")
    message = str(caught.value)
    assert "hunter2" not in message
    assert "***" in message
    assert "SOME_URL" in message
    assert "\n" not in message


def test_free_ports_are_never_handed_out_twice_nor_the_reserved_web_port():
    from devstack import ports

    reserved = ports.free_port()
    ports.reserve(reserved)
    handed = [ports.free_port() for _ in range(200)]
    # The kernel may offer a port again before its first owner binds it; we must not pass it on.
    assert len(set(handed)) == len(handed)
    assert reserved not in handed
