"""The reveal's one-query lookup: the same version the ORM reads, prepared once per PostgreSQL connection, and
still right when the server has dropped or invalidated the prepared statement."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.vault.vault_support import make_user
from vault.models import Mount, Secret, SecretVersion
from vault.services import SecretNotFound, VersionNotFound, secret_create, secret_update
from vault.services.lookup import MAX_VERSION, version_for_read

# Outside a test transaction, so the lookup takes the path production takes (its own, autocommitted).
pytestmark = pytest.mark.django_db(transaction=True)
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="prepared statements are PostgreSQL's")
STATEMENT = "keyhold_version_for_read"


@pytest.fixture
def owner(django_user_model):
    user = make_user(django_user_model, "prepared@example.test")
    secret_create(owner=user, path="app/db", fields={"password": "one"})
    secret_update(owner=user, path="app/db", fields={"password": "two"})
    Secret.objects.filter(owner=user, path="app/db").update(custom_metadata={"team": "ops", "n": 3})
    return user


def _run(statement: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


def _read_logged(owner, version: int | None = None) -> tuple[SecretVersion, list[list[str]]]:
    """The lookup's result, and the first two words of each query it sent."""
    with CaptureQueriesContext(connection) as captured:
        found = version_for_read(owner=owner, path="app/db", version=version)
    return found, [query["sql"].split()[:2] for query in captured.captured_queries]


def _same_as_the_orm(found: SecretVersion, number: int) -> None:
    expected = SecretVersion.objects.get(secret__path="app/db", version=number)
    for field in SecretVersion._meta.concrete_fields:
        got, want = getattr(found, field.attname), getattr(expected, field.attname)
        if isinstance(want, memoryview | bytes):
            got, want = bytes(got), bytes(want)
        assert got == want, field.name
    assert found.created.tzinfo is not None
    assert found._state.adding is False
    assert (found.secret_path, found.custom_metadata) == ("app/db", {"team": "ops", "n": 3})


def test_reads_the_current_or_the_asked_version_with_every_field_as_the_orm_does(owner):
    for _ in range(3):  # the first call prepares, the next ones execute the prepared statement
        _same_as_the_orm(version_for_read(owner=owner, path="app/db", version=None), 2)
        _same_as_the_orm(version_for_read(owner=owner, path="app/db", version=1), 1)


def test_delete_after_comes_from_the_secret_or_else_its_mount(owner):
    assert version_for_read(owner=owner, path="app/db", version=None).delete_after == 0
    Mount.objects.create(owner=owner, path="secret", delete_version_after=600)
    assert version_for_read(owner=owner, path="app/db", version=None).delete_after == 600
    Secret.objects.filter(owner=owner, path="app/db").update(delete_version_after=60)
    assert version_for_read(owner=owner, path="app/db", version=None).delete_after == 60


def test_misses_still_say_which_part_is_missing(owner):
    for _ in range(2):
        with pytest.raises(SecretNotFound):
            version_for_read(owner=owner, path="app/nope", version=None)
        with pytest.raises(VersionNotFound):
            version_for_read(owner=owner, path="app/db", version=3)
        # Past the column's range: refused before the database, whose integer parameter could not hold it.
        for number in (MAX_VERSION, MAX_VERSION + 1, 2**70):
            with pytest.raises(VersionNotFound):
                version_for_read(owner=owner, path="app/db", version=number)


@postgres_only
def test_the_lookup_is_prepared_once_per_connection_then_executed(owner):
    connection.close()
    _, first = _read_logged(owner)
    _, second = _read_logged(owner, version=1)
    assert [words[0] for words in first] == ["PREPARE", "EXECUTE"]
    assert second == [["EXECUTE", STATEMENT]]
    # A new connection has no prepared statements: it prepares again.
    connection.close()
    found, reconnected = _read_logged(owner)
    _same_as_the_orm(found, 2)
    assert [words[0] for words in reconnected] == ["PREPARE", "EXECUTE"]


@postgres_only
def test_a_statement_the_server_dropped_is_run_plainly_then_prepared_again(owner):
    version_for_read(owner=owner, path="app/db", version=None)
    _run("DEALLOCATE ALL")  # what a pooler's DISCARD ALL does behind the application's back
    _same_as_the_orm(version_for_read(owner=owner, path="app/db", version=None), 2)
    found, again = _read_logged(owner)
    _same_as_the_orm(found, 2)
    assert [words[0] for words in again] == ["PREPARE", "EXECUTE"]


@postgres_only
def test_a_migration_that_changes_a_selected_column_does_not_break_a_prepared_lookup(owner):
    version_for_read(owner=owner, path="app/db", version=None)
    table, column = Secret._meta.db_table, Secret._meta.get_field("path")
    try:
        # The result's type changes: PostgreSQL refuses the cached plan ("must not change result type").
        _run(f"ALTER TABLE {table} ALTER COLUMN path TYPE varchar({column.max_length + 1})")
        _same_as_the_orm(version_for_read(owner=owner, path="app/db", version=None), 2)
        _same_as_the_orm(version_for_read(owner=owner, path="app/db", version=1), 1)
    finally:
        _run(f"ALTER TABLE {table} ALTER COLUMN path TYPE varchar({column.max_length})")


@postgres_only
def test_an_added_column_leaves_the_prepared_lookup_working(owner):
    version_for_read(owner=owner, path="app/db", version=None)
    table = SecretVersion._meta.db_table
    try:
        _run(f"ALTER TABLE {table} ADD COLUMN added_later integer")
        found, queries = _read_logged(owner)
        _same_as_the_orm(found, 2)
        assert [words[0] for words in queries] == ["EXECUTE"]
    finally:
        _run(f"ALTER TABLE {table} DROP COLUMN added_later")


def test_inside_a_transaction_the_lookup_is_a_plain_query(owner):
    with transaction.atomic():
        found, queries = _read_logged(owner)
    _same_as_the_orm(found, 2)
    assert len(queries) == 1
    assert queries[0][0] == "SELECT"
