"""hvac against the live site: userpass login (with TOTP), token lookup, renew and revoke, scoped tokens."""

import hvac
import pytest
import requests
from django.test import override_settings

from accounts.models import ApiToken, AuditEvent
from tests.accounts.twofactor_support import code_at, enrol
from tests.api.conftest import EMAIL, PASSWORD, client_for, make_token
from tests.vault.vault_support import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_userpass_login_gives_a_short_lived_renewable_token(live_server, api_user):
    vault = client_for(live_server, None)
    login = vault.auth.userpass.login(username=EMAIL, password=PASSWORD)
    assert vault.token == login["auth"]["client_token"]
    assert login["auth"]["renewable"] is True
    assert 0 < login["auth"]["lease_duration"] <= 3600
    assert vault.is_authenticated()
    vault.secrets.kv.v2.create_or_update_secret(path="from-login", secret={"k": "v"})
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN, actor=api_user, detail__api="userpass").exists()


def test_userpass_login_refuses_a_wrong_password_and_locks_out(live_server, api_user):
    vault = client_for(live_server, None)
    for _ in range(4):
        with pytest.raises(hvac.exceptions.InvalidRequest, match="invalid username or password"):
            vault.auth.userpass.login(username=EMAIL, password="wrong")
    with pytest.raises(hvac.exceptions.RateLimitExceeded):
        vault.auth.userpass.login(username=EMAIL, password="wrong")
    # Locked: even the right password is refused, before any hashing.
    with pytest.raises(hvac.exceptions.RateLimitExceeded):
        vault.auth.userpass.login(username=EMAIL, password=PASSWORD)


def test_userpass_login_of_a_two_factor_account_needs_the_code(live_server, api_user):
    secret, _ = enrol(api_user)
    vault = client_for(live_server, None)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="two-factor code required"):
        vault.auth.userpass.login(username=EMAIL, password=PASSWORD)
    url = f"{live_server.url}/v1/auth/userpass/login/{EMAIL}"
    wrong = requests.post(url, json={"password": PASSWORD, "totp": "000000"}, timeout=10)
    assert wrong.status_code == 400
    response = requests.post(
        url, json={"password": PASSWORD}, headers={"X-Vault-MFA": f"totp:{code_at(secret)}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.json()["auth"]["client_token"].startswith("khp_")


def test_token_lookup_renew_and_revoke_self(live_server, api_user):
    vault = client_for(live_server, None)
    vault.auth.userpass.login(username=EMAIL, password=PASSWORD)
    looked_up = vault.auth.token.lookup_self()["data"]
    assert looked_up["renewable"] is True
    assert looked_up["meta"]["username"] == EMAIL
    assert 0 < looked_up["ttl"] <= 3600

    renewed = vault.auth.token.renew_self(increment="2h")
    assert 3600 < renewed["auth"]["lease_duration"] <= 7200

    vault.auth.token.revoke_self()
    assert not vault.is_authenticated()
    with pytest.raises(hvac.exceptions.Forbidden):
        vault.secrets.kv.v2.read_configuration()
    assert ApiToken.objects.get(user=api_user, name="userpass login").revoked_at is not None


def test_a_personal_token_is_not_renewable(vault):
    assert vault.auth.token.lookup_self()["data"]["renewable"] is False
    with pytest.raises(hvac.exceptions.InvalidRequest, match="not renewable"):
        vault.auth.token.renew_self()


def test_no_token_or_a_bad_token_is_forbidden(live_server, api_user):
    for token in (None, "khp_00000000_" + "A" * 43, "not-a-token"):
        with pytest.raises(hvac.exceptions.Forbidden):
            client_for(live_server, token).secrets.kv.v2.read_configuration()


def test_a_read_only_token_for_secret_app_stays_inside_its_prefix(live_server, api_user, vault):
    for path in ("app/db", "app/api", "other/db"):
        vault.secrets.kv.v2.create_or_update_secret(path=path, secret={"k": path})
    scoped = client_for(live_server, make_token(api_user, can_write=False, path_prefixes=["secret/app"])).secrets.kv.v2

    assert scoped.read_secret_version(path="app/db", raise_on_deleted_version=True)["data"]["data"] == {"k": "app/db"}
    assert scoped.list_secrets(path="app")["data"]["keys"] == ["api", "db"]
    assert scoped.read_secret_metadata(path="app/db")["data"]["current_version"] == 1
    denied = [
        lambda: scoped.create_or_update_secret(path="app/db", secret={"k": "x"}),
        lambda: scoped.patch(path="app/db", secret={"k": "x"}),
        lambda: scoped.delete_latest_version_of_secret(path="app/db"),
        lambda: scoped.destroy_secret_versions(path="app/db", versions=[1]),
        lambda: scoped.update_metadata(path="app/db", max_versions=2),
        lambda: scoped.read_secret_version(path="other/db", raise_on_deleted_version=True),
        # Missing or present outside the prefix: the same 403, so nothing is learned about other paths.
        lambda: scoped.read_secret_version(path="other/missing", raise_on_deleted_version=True),
        lambda: scoped.read_secret_version(path="application", raise_on_deleted_version=True),
        lambda: scoped.list_secrets(path=""),
        lambda: scoped.read_configuration(),
        lambda: scoped.read_secret_version(path="app/db", mount_point="team", raise_on_deleted_version=True),
    ]
    for attempt in denied:
        with pytest.raises(hvac.exceptions.Forbidden):
            attempt()
    assert vault.secrets.kv.v2.read_secret_version(path="app/db", raise_on_deleted_version=True)["data"]["data"] == {
        "k": "app/db"
    }


def test_a_token_sees_only_its_owners_secrets(live_server, api_user, vault, django_user_model):
    stranger = make_user(django_user_model, "stranger@example.test")
    stranger.email_verified_at = api_user.email_verified_at
    stranger.save(update_fields=["email_verified_at"])
    vault.secrets.kv.v2.create_or_update_secret(path="mine", secret={"k": "v"})
    theirs = client_for(live_server, make_token(stranger)).secrets.kv.v2
    with pytest.raises(hvac.exceptions.InvalidPath):
        theirs.read_secret_version(path="mine", raise_on_deleted_version=True)
    with pytest.raises(hvac.exceptions.InvalidPath):
        theirs.list_secrets(path="")


@override_settings(VAULT_API_RATE_LIMIT=3)
def test_requests_over_the_rate_limit_get_429_with_retry_after(live_server, token):
    url = f"{live_server.url}/v1/secret/config"
    statuses = [requests.get(url, headers={"X-Vault-Token": token}, timeout=10) for _ in range(4)]
    assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
    assert statuses[3].status_code == 429
    assert 1 <= int(statuses[3].headers["Retry-After"]) <= 60
    assert statuses[3].json() == {"errors": ["rate limit quota exceeded"]}


@override_settings(VAULT_API_RATE_LIMIT=2)
def test_logins_are_rate_limited_per_address(live_server, api_user):
    url = f"{live_server.url}/v1/auth/userpass/login/{EMAIL}"
    statuses = [requests.post(url, json={"password": PASSWORD}, timeout=10).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
