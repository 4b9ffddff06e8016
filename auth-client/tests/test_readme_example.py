"""The docs' example of protecting a FastAPI service (docs/protect-a-service.md), run as
written."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

README = Path(__file__).resolve().parents[2] / "docs" / "protect-a-service.md"
SECTION = "# Protect your own service with auth-client"


def _first_python_block_of(section: str) -> str:
    text = README.read_text()
    body = text[text.index(section) :]
    match = re.search(r"```python\n(.*?)```", body, re.DOTALL)
    assert match is not None, f"no python example under {section!r}"
    return match.group(1)


async def test_the_readme_example_protects_its_routes(issuer) -> None:
    code = _first_python_block_of(SECTION)
    assert 'issuer="http://localhost:8080/api/auth"' in code
    namespace: dict[str, object] = {}
    source = code.replace("http://localhost:8080/api/auth", issuer.issuer)
    # dont_inherit: the example runs without this module's `from __future__ import annotations`.
    compiled = compile(source, str(README), "exec", dont_inherit=True)
    exec(compiled, namespace)  # noqa: S102 (the docs' own example, run as a reader would)
    app = namespace["create_app"]()  # type: ignore[operator]
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            anonymous = await client.get("/hello")
            assert anonymous.status_code == 401
            assert anonymous.headers["www-authenticate"].startswith("Bearer")

            user = issuer.mint_user(email="ann@example.org", scope="openid email")
            hello = await client.get("/hello", headers={"Authorization": f"Bearer {user}"})
            assert hello.status_code == 200 and hello.json()["email"] == "ann@example.org"
            refused = await client.get("/reports", headers={"Authorization": f"Bearer {user}"})
            assert refused.status_code == 403
            assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]

            reporter = issuer.mint_user(scope="reports:read")
            reports = await client.get("/reports", headers={"Authorization": f"Bearer {reporter}"})
            assert reports.status_code == 200
