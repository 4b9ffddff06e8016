"""Schemathesis against both services' OpenAPI documents, on a stack booted as `make run`
boots it: every generated request (valid and invalid) gets an answer the document
describes (status code, content type, body schema, headers), and never a 5xx.

The services are called on their own loopback ports (the gateway's answers are the
gateway's: a path with an encoded `/` is refused there before any service sees it).
Requests carry real credentials: a signed-up user's access token, the bootstrap
administrator's for `/admin/*`, and for log-out-everywhere a session made for that call,
so one generated request never ends the session the others rely on. The log-in limits
are raised so that hundreds of wrong passwords test the answers, not the limiter.

`GATEHOUSE_FUZZ_EXAMPLES` sets the generated cases per operation (default 100).
`GATEHOUSE_FUZZ_SEED` picks the cases: a fixed seed by default, so that `make test` sends
the same requests every time; `make fuzz` draws a new one each run and prints it first, so
that a failure it finds can be replayed (`make fuzz FUZZ_SEED=...`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from tests_e2e.stacks import ADMIN_EMAIL, ADMIN_PASSWORD, RunningStack

EXAMPLES_PER_OPERATION = int(os.environ.get("GATEHOUSE_FUZZ_EXAMPLES", "100"))
SEED = int(os.environ.get("GATEHOUSE_FUZZ_SEED", "20261127"))
MIN_CASES_PER_SERVICE = 500
PASSWORD = "a perfectly fine fuzzing passphrase"
CSRF = {"X-Requested-With": "schemathesis"}

# What one fuzzing run may do without being refused by a limiter instead of answered.
FUZZ_ENV = {
    "AUTH_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
    "AUTH_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
    "AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT": "1000000",
    "AUTH_LOGIN_MAX_FAILURES_PER_IP": "1000000",
    "AUTH_LOGIN_DELAY_AFTER_FAILURES": "1000000",
    # Registration on, so that the generated metadata meets its checks, not a 404.
    "AUTH_CLIENT_REGISTRATION": "open",
    "AUTH_CLIENT_REGISTRATIONS_PER_IP": "1000000",
}

cases_sent: Counter[str] = Counter()


# schemathesis' default answers that count as refusing a schema-violating request.
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"]

# Rules of the services that a JSON Schema cannot state, so a schema-valid request may meet
# them: the password policy (common passwords, the email as password) and email-validator's
# refusal of reserved domains (`.test`, `.local`...), the scopes a service client may not
# hold, the account flows' refusals. Each is a 4xx problem with its reason.
BUSINESS_RULE_REFUSALS = [
    {
        "include-path": ["/api/auth/signup", "/api/auth/login"],
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "409", "422", "429"],
            }
        },
    },
    {
        # The account flows: a wrong current password (403), a taken address (409), the
        # rate limits (429), besides the policy and reserved domains.
        "include-path": [
            "/api/auth/password",
            "/api/auth/password/forgot",
            "/api/auth/login/email",
            "/api/auth/email/verify/resend",
            "/api/auth/email/change",
            "/api/auth/reauth",
        ],
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "409", "422", "429"],
            }
        },
    },
    {
        # A well-formed link token that no account holds: 400 `link_invalid`.
        "include-path": [
            "/api/auth/password/reset",
            "/api/auth/email/verify",
            "/api/auth/email/change/confirm",
        ],
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "409", "422"]}},
    },
    {
        # A sign-in by mail: a well-formed token that no sign-in holds (400 `link_invalid`),
        # an email and code that do not match (401), a body with neither or both (422),
        # the failed log-in limits (429).
        "include-path": ["/api/auth/login/email/verify"],
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "422", "429"]}
        },
    },
    {
        # A passkey's answer is checked as WebAuthn says (its structure, then signatures):
        # a generated JSON object is not one. 400 `passkey_registration_rejected` for an
        # enrolment, 422 for an assertion that is not one at all; 403 `email_not_verified`
        # for an enrolment of the fuzzing user, whose email is not verified.
        "include-path": ["/api/auth/webauthn/register", "/api/auth/webauthn/login"],
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "422", "429"]
            }
        },
    },
    {
        # A user's scopes (`admin`, `openid`, `profile`, `email`) are refused to clients.
        "include-path": ["/api/auth/admin/clients"],
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "422"]}},
    },
    {
        # The OpenID Provider's browser and PAR endpoints read their parameters as the RFCs
        # define them, not from a schema: a generated request names no registered client, so
        # it gets the error page (400), the RFC 6749 error (400/401), or a redirect (303).
        "include-path": [
            "/api/auth/oauth/authorize",
            "/api/auth/oauth/logout",
            "/api/auth/oauth/par",
        ],
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "303", "400", "401"]}},
    },
    {
        # RFC 7591 metadata a schema cannot fully state (grant types, scopes, redirect URIs
        # at https or loopback, a public client for open registration): 400 with its reason.
        "include-path": ["/api/auth/oauth/register"],
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400"]}},
    },
]


def fuzz_config() -> schemathesis.Config:
    settings: dict[str, Any] = {
        "generation": {
            "mode": "all",  # schema-valid requests and schema-violating ones
            "max-examples": EXAMPLES_PER_OPERATION,
            "database": "none",
            # Credentials are ours (real tokens); `ignored_auth` still checks that a request
            # without them is refused.
            "with-security-parameters": False,
        },
        "checks": {
            "enabled": True,
            # An over-long field can make the body too large: 413 refuses it as well as 422.
            "negative_data_rejection": {"expected-statuses": [*REFUSALS, "413"]},
        },
        "operations": BUSINESS_RULE_REFUSALS,
    }
    return schemathesis.Config.from_dict({**settings, "seed": SEED})


_DOCUMENTS_SCRIPT = """
import json
from auth_service.app import create_app as auth
from auth_service.config import Settings as AuthSettings
from resource_service.app import create_app as resource
from resource_service.config import Settings as ResourceSettings
print(json.dumps({"auth": auth(AuthSettings(dev_mode=True)).openapi(),
                  "resource": resource(ResourceSettings()).openapi()}))
"""


def openapi_documents() -> dict[str, dict[str, Any]]:
    """Each service's document as its app builds it (no lifespan: nothing starts), in a
    child process so that the services' logging set-up stays out of this one. The cases
    are generated when the tests are collected, before any stack runs; a test below proves
    that the running services serve exactly these documents. The services' own settings
    are left out: the documents do not depend on them, and a half-set one must not stop
    the collection of every end-to-end test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTH_", "RESOURCE_"))}
    built = subprocess.run(
        [sys.executable, "-c", _DOCUMENTS_SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    documents: dict[str, dict[str, Any]] = json.loads(built.stdout)
    return documents


DOCUMENTS = openapi_documents()
auth_api = schemathesis.openapi.from_dict(DOCUMENTS["auth"], config=fuzz_config())
resource_api = schemathesis.openapi.from_dict(DOCUMENTS["resource"], config=fuzz_config())


@dataclass(frozen=True)
class Fuzzer:
    """Sends generated cases to the service they belong to, with real credentials."""

    urls: dict[str, str]
    user_token: str
    admin_token: str

    def throwaway_token(self) -> str:
        """A new user's token, for a request that ends every session of its user."""
        email = f"fuzz-{uuid.uuid4().hex[:12]}@gatehouse.example"
        with httpx.Client(base_url=self.urls["auth"], timeout=30) as http:
            response = http.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
        assert response.status_code == 201, response.text
        return str(response.json()["access_token"])

    def headers_for(self, path: str) -> dict[str, str]:
        if path.startswith("/api/auth/admin/"):
            token = self.admin_token
        elif path == "/api/auth/logout-all":
            token = self.throwaway_token()
        else:
            token = self.user_token
        return {"Authorization": f"Bearer {token}", **CSRF}

    def send(self, service: str, case: schemathesis.Case) -> None:
        cases_sent[service] += 1
        case.call_and_validate(
            base_url=self.urls[service], headers=self.headers_for(case.path), timeout=30
        )


@pytest.fixture(scope="module")
def fuzz_stack(stack_factory: Callable[..., RunningStack]) -> RunningStack:
    return stack_factory(FUZZ_ENV, name="fuzz")


@pytest.fixture(scope="module")
def fuzzer(fuzz_stack: RunningStack) -> Fuzzer:
    settings = fuzz_stack.settings
    urls = {
        "auth": f"http://127.0.0.1:{settings.auth_port}",
        "resource": f"http://127.0.0.1:{settings.resource_port}",
    }
    email = f"fuzz-user-{uuid.uuid4().hex[:8]}@gatehouse.example"
    with httpx.Client(base_url=urls["auth"], timeout=30) as http:
        signup = http.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
        assert signup.status_code == 201, signup.text
        admin = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        login = http.post("/api/auth/login", json=admin)
        assert login.status_code == 200, login.text
    return Fuzzer(
        urls=urls,
        user_token=signup.json()["access_token"],
        admin_token=login.json()["access_token"],
    )


@pytest.mark.parametrize("service", ["auth", "resource"])
def test_the_fuzzed_documents_are_the_ones_the_stack_serves(
    fuzz_stack: RunningStack, service: str
) -> None:
    with fuzz_stack.client() as http:
        served = http.get(f"/api/{service}/openapi.json")
    assert served.status_code == 200
    assert served.json() == DOCUMENTS[service]


@auth_api.parametrize()
def test_the_auth_service_answers_every_generated_request_as_documented(
    case: schemathesis.Case, fuzzer: Fuzzer
) -> None:
    fuzzer.send("auth", case)


@resource_api.parametrize()
def test_the_resource_service_answers_every_generated_request_as_documented(
    case: schemathesis.Case, fuzzer: Fuzzer
) -> None:
    fuzzer.send("resource", case)


@pytest.mark.parametrize("service", ["auth", "resource"])
def test_each_service_got_at_least_500_generated_requests(service: str) -> None:
    assert cases_sent[service] >= MIN_CASES_PER_SERVICE, dict(cases_sent)
