"""hvac, unchanged, against the live site: the KV v2 secrets engine surface, as Vault documents it."""

import hvac
import pytest

from accounts.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def kv(vault: hvac.Client):
    return vault.secrets.kv.v2


def read(vault, path, **options):
    return kv(vault).read_secret_version(path=path, raise_on_deleted_version=True, **options)


def test_configure_and_read_config(vault):
    assert kv(vault).read_configuration()["data"] == {
        "cas_required": False,
        "delete_version_after": "0s",
        "max_versions": 0,
    }
    kv(vault).configure(max_versions=5, cas_required=True, delete_version_after="1h30m")
    assert kv(vault).read_configuration()["data"] == {
        "cas_required": True,
        "delete_version_after": "1h30m0s",
        "max_versions": 5,
    }


def test_create_update_and_read_versions(vault, api_user):
    written = kv(vault).create_or_update_secret(path="app/db", secret={"user": "app", "password": "s3cret"})
    assert written["data"]["version"] == 1
    assert written["data"]["destroyed"] is False
    assert written["data"]["deletion_time"] == ""
    kv(vault).create_or_update_secret(path="app/db", secret={"user": "app", "password": "rotated"})

    current = read(vault, "app/db")
    assert current["data"]["data"] == {"user": "app", "password": "rotated"}
    assert current["data"]["metadata"]["version"] == 2
    assert read(vault, "app/db", version=1)["data"]["data"]["password"] == "s3cret"
    assert set(current) >= {"request_id", "lease_id", "renewable", "lease_duration", "wrap_info", "warnings", "auth"}
    with pytest.raises(hvac.exceptions.InvalidPath):
        read(vault, "app/missing")
    with pytest.raises(hvac.exceptions.InvalidPath):
        read(vault, "app/db", version=9)


def test_check_and_set(vault):
    kv(vault).create_or_update_secret(path="cas", secret={"k": "1"}, cas=0)
    mismatch = "check-and-set parameter did not match the current version"
    with pytest.raises(hvac.exceptions.InvalidRequest, match=mismatch):
        kv(vault).create_or_update_secret(path="cas", secret={"k": "again"}, cas=0)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="check-and-set parameter did not match"):
        kv(vault).create_or_update_secret(path="cas", secret={"k": "stale"}, cas=5)
    assert kv(vault).create_or_update_secret(path="cas", secret={"k": "2"}, cas=1)["data"]["version"] == 2

    kv(vault).update_metadata(path="cas", cas_required=True)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="check-and-set parameter required"):
        kv(vault).create_or_update_secret(path="cas", secret={"k": "3"})
    assert read(vault, "cas")["data"]["data"] == {"k": "2"}


def test_patch_merges_fields(vault):
    kv(vault).create_or_update_secret(path="p", secret={"a": "1", "b": "2"})
    kv(vault).patch(path="p", secret={"b": "changed", "c": "3"})
    assert read(vault, "p")["data"]["data"] == {"a": "1", "b": "changed", "c": "3"}
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv(vault).patch(path="nothing-here", secret={"a": "1"})


def test_list_names_secrets_and_folders(vault):
    for path in ("app/db", "app/api", "app/prod/key", "top"):
        kv(vault).create_or_update_secret(path=path, secret={"k": "v"})
    assert kv(vault).list_secrets(path="")["data"]["keys"] == ["app/", "top"]
    assert kv(vault).list_secrets(path="app")["data"]["keys"] == ["api", "db", "prod/"]
    assert kv(vault).list_secrets(path="app/")["data"]["keys"] == ["api", "db", "prod/"]
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv(vault).list_secrets(path="nowhere")


def test_delete_latest_then_undelete_and_destroy(vault):
    for value in ("1", "2", "3"):
        kv(vault).create_or_update_secret(path="d", secret={"k": value})
    kv(vault).delete_latest_version_of_secret(path="d")
    with pytest.raises(hvac.exceptions.InvalidPath):
        read(vault, "d")
    deleted = kv(vault).read_secret_version(path="d", raise_on_deleted_version=False)
    assert deleted["data"]["data"] is None
    assert deleted["data"]["metadata"]["deletion_time"] != ""

    kv(vault).undelete_secret_versions(path="d", versions=[3])
    assert read(vault, "d")["data"]["data"] == {"k": "3"}
    kv(vault).delete_secret_versions(path="d", versions=[1, 2])
    kv(vault).destroy_secret_versions(path="d", versions=[2])
    versions = kv(vault).read_secret_metadata(path="d")["data"]["versions"]
    assert versions["1"]["deletion_time"] != ""
    assert versions["1"]["destroyed"] is False
    assert versions["2"]["destroyed"] is True
    assert versions["3"]["deletion_time"] == ""
    kv(vault).undelete_secret_versions(path="d", versions=[1, 2])
    assert read(vault, "d", version=1)["data"]["data"] == {"k": "1"}
    with pytest.raises(hvac.exceptions.InvalidPath):
        read(vault, "d", version=2)


def test_metadata_read_update_delete(vault):
    kv(vault).create_or_update_secret(path="m", secret={"k": "v"})
    kv(vault).update_metadata(path="m", max_versions=3, custom_metadata={"owner": "team-a"}, delete_version_after="0s")
    metadata = kv(vault).read_secret_metadata(path="m")["data"]
    assert metadata["max_versions"] == 3
    assert metadata["custom_metadata"] == {"owner": "team-a"}
    assert metadata["current_version"] == 1
    # Vault's meaning: 0 until max_versions prunes a version (below), then the oldest one kept.
    assert metadata["oldest_version"] == 0
    assert metadata["current_metadata_version"] == 1
    assert metadata["metadata_cas_required"] is False
    assert metadata["cas_required"] is False
    assert metadata["delete_version_after"] == "0s"
    assert read(vault, "m")["data"]["metadata"]["custom_metadata"] == {"owner": "team-a"}
    for value in "abcd":
        kv(vault).create_or_update_secret(path="m", secret={"k": value})
    pruned = kv(vault).read_secret_metadata(path="m")["data"]
    assert sorted(pruned["versions"]) == ["3", "4", "5"]
    assert pruned["oldest_version"] == 3

    with pytest.raises(hvac.exceptions.InvalidRequest):
        kv(vault).update_metadata(path="m", custom_metadata={f"k{i}": "v" for i in range(65)})
    kv(vault).delete_metadata_and_all_versions(path="m")
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv(vault).read_secret_metadata(path="m")


def test_subkeys_show_structure_without_values(vault):
    kv(vault).create_or_update_secret(path="s", secret={"user": "u", "password": "hunter2"})
    response = vault.adapter.get("/v1/secret/subkeys/s")
    assert response["data"]["subkeys"] == {"password": None, "user": None}
    assert response["data"]["metadata"]["version"] == 1
    assert "hunter2" not in str(response)


def test_a_read_through_the_api_is_an_audited_reveal(vault, api_user):
    kv(vault).create_or_update_secret(path="audited", secret={"k": "v"})
    read(vault, "audited")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.SECRET_REVEAL).latest("id")
    assert (event.actor, event.target, event.outcome) == (api_user, "audited", AuditEvent.Outcome.SUCCESS)
    assert event.detail["version"] == 1


def test_mounts_are_namespaces(vault):
    vault.sys.enable_secrets_engine(backend_type="kv", path="team", options={"version": "2"})
    assert set(vault.sys.list_mounted_secrets_engines()["data"]) == {"secret/", "team/"}
    kv(vault).create_or_update_secret(path="x", secret={"where": "team"}, mount_point="team")
    kv(vault).create_or_update_secret(path="x", secret={"where": "default"})
    assert read(vault, "x", mount_point="team")["data"]["data"] == {"where": "team"}
    assert read(vault, "x")["data"]["data"] == {"where": "default"}
    with pytest.raises(hvac.exceptions.InvalidRequest, match="already in use"):
        vault.sys.enable_secrets_engine(backend_type="kv", path="team", options={"version": "2"})
    with pytest.raises(hvac.exceptions.InvalidRequest):
        vault.sys.enable_secrets_engine(backend_type="pki", path="certs")

    vault.sys.disable_secrets_engine(path="team")
    assert set(vault.sys.list_mounted_secrets_engines()["data"]) == {"secret/"}
    with pytest.raises(hvac.exceptions.InvalidPath):
        read(vault, "x", mount_point="team")
    ui = vault.adapter.get("/v1/sys/internal/ui/mounts/secret/x")
    assert ui["data"]["options"] == {"version": "2"}
    assert ui["data"]["path"] == "secret/"


def test_delete_version_after_schedules_deletion_time(vault):
    kv(vault).create_or_update_secret(path="timed", secret={"k": "v"})
    assert read(vault, "timed")["data"]["metadata"]["deletion_time"] == ""
    kv(vault).update_metadata(path="timed", delete_version_after="1h")
    metadata = kv(vault).read_secret_metadata(path="timed")["data"]
    assert metadata["delete_version_after"] == "1h0m0s"
    assert metadata["versions"]["1"]["deletion_time"] != ""
    assert (
        read(vault, "timed")["data"]["metadata"]["deletion_time"]
        > read(vault, "timed")["data"]["metadata"]["created_time"]
    )
