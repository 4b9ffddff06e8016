from tests.helpers import sign_up


async def test_sign_up_then_me(client) -> None:
    login = await sign_up(client, "ann@example.org")
    response = await client.get("/api/auth/me", headers=login.bearer)
    assert response.status_code == 200
    assert response.json()["email"] == "ann@example.org"
