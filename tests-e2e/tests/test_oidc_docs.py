"""The README's worked example is the Authlib app the end-to-end tests sign in to, and the
Grafana settings of docs/openid-connect.md are the endpoints that discovery publishes."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from tests_e2e.oidc import RELYING_PARTIES, ROOT

README = ROOT / "README.md"
GRAFANA_DOC = ROOT / "docs" / "openid-connect.md"
MAKE_RUN_ISSUER = "http://localhost:8080/api/auth"


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), re.DOTALL)


def test_the_readme_example_is_the_tested_authlib_app() -> None:
    app = (RELYING_PARTIES / "authlib_app.py").read_text()
    assert app in python_blocks(README), "README's Authlib example differs from authlib_app.py"


def test_grafana_is_pointed_at_the_endpoints_that_discovery_publishes(
    client: httpx.Client,
) -> None:
    settings = dict(re.findall(r"^(\w+) = (.*)$", GRAFANA_DOC.read_text(), re.MULTILINE))
    doc = client.get("/api/auth/.well-known/openid-configuration").json()
    ours = doc["issuer"]
    for setting, endpoint in {
        "auth_url": "authorization_endpoint",
        "token_url": "token_endpoint",
        "api_url": "userinfo_endpoint",
    }.items():
        assert settings[setting].replace(MAKE_RUN_ISSUER, ours) == doc[endpoint], setting
    assert settings["signout_redirect_url"].startswith(
        doc["end_session_endpoint"].replace(ours, MAKE_RUN_ISSUER)
    )
    assert settings["use_pkce"] == "true"
