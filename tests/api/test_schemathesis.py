"""Schemathesis against the published OpenAPI description: generated requests for every /v1/ operation
(valid and invalid by the schema), signed with a real token, get no server error."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from accounts.services.tokens import token_create
from tests.api.conftest import clear_rate_counts
from vault.api.openapi import _document
from vault.services import secret_create

# About 25 operations: 60 examples each is over 1,000 generated requests in the run.
EXAMPLES_PER_OPERATION = 60

schema = schemathesis.openapi.from_dict(_document())
schema.app = get_wsgi_application()


@pytest.fixture
def token(api_user, settings):
    settings.VAULT_API_RATE_LIMIT = 0
    settings.VAULT_REVEAL_BUDGET = 10**6
    secret_create(owner=api_user, path="app/db", fields={"user": "app", "password": "schemathesis-canary"})
    clear_rate_counts()
    return token_create(user=api_user, name="schemathesis", can_read=True, can_write=True)[1]


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_generated_requests_never_get_a_server_error(case, token):
    response = case.call(headers={"X-Vault-Token": token})
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:300])
