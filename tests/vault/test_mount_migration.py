"""The mounts migrations: existing secrets land in the default mount, and token prefixes start with it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("vault", "0003_secret_path_bytewise"), ("accounts", "0007_secret_diff_action")]
AFTER = [("vault", "0004_mounts"), ("accounts", "0008_api_login_tokens")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_secrets_and_token_prefixes_move_into_the_default_mount():
    old = migrate(BEFORE)
    try:
        user = old.get_model("accounts", "User").objects.create(email="old@example.test", password="!")
        old.get_model("vault", "Secret").objects.create(owner_id=user.pk, path="prod/db")
        token = old.get_model("accounts", "ApiToken").objects.create(
            user_id=user.pk, name="t", prefix="khp_1", token_hash="0" * 64, path_prefixes=["prod", "ci/deploy"]
        )
        unscoped = old.get_model("accounts", "ApiToken").objects.create(
            user_id=user.pk, name="u", prefix="khp_2", token_hash="1" * 64, path_prefixes=[]
        )

        new = migrate(AFTER)
        secret = new.get_model("vault", "Secret").objects.get(owner_id=user.pk)
        assert (secret.mount, secret.path) == ("secret", "prod/db")
        mounts = new.get_model("vault", "Mount").objects.filter(owner_id=user.pk)
        assert list(mounts.values_list("path", flat=True)) == ["secret"]
        tokens = new.get_model("accounts", "ApiToken").objects
        assert tokens.get(pk=token.pk).path_prefixes == ["secret/prod", "secret/ci/deploy"]
        assert tokens.get(pk=unscoped.pk).path_prefixes == []
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
