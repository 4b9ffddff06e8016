"""Sign in with Gatehouse from a Starlette app on Authlib: `CLIENT_ID=... CLIENT_SECRET=...
python authlib_app.py`, then open http://127.0.0.1:5000/login."""

import os

import uvicorn
from authlib.integrations.starlette_client import OAuth, OAuthError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import JSONResponse
from starlette.routing import Route

ISSUER = os.environ.get("GATEHOUSE_ISSUER", "http://localhost:8080/api/auth")
APP = os.environ.get("APP_URL", "http://127.0.0.1:5000")
gatehouse = OAuth().register(
    "gatehouse",
    client_id=os.environ["CLIENT_ID"],
    client_secret=os.environ["CLIENT_SECRET"],
    server_metadata_url=f"{ISSUER}/.well-known/openid-configuration",
    client_kwargs={"scope": "openid email", "code_challenge_method": "S256"},
)


async def login(request):
    return await gatehouse.authorize_redirect(request, f"{APP}/callback")


async def callback(request):  # Authlib checks state, the id_token's signature, iss, aud, nonce
    token = await gatehouse.authorize_access_token(request)
    request.session.update(id_token=token["id_token"], refresh_token=token["refresh_token"])
    userinfo = await gatehouse.userinfo(token=token)
    return JSONResponse({"id_token": token["userinfo"], "userinfo": userinfo})


async def refresh(request):
    rt = request.session["refresh_token"]
    token = await gatehouse.fetch_access_token(grant_type="refresh_token", refresh_token=rt)
    request.session["refresh_token"] = token["refresh_token"]
    return JSONResponse({"userinfo": await gatehouse.userinfo(token=token)})


async def logout(request):  # RP-initiated logout at Gatehouse's end_session_endpoint
    hint = request.session.pop("id_token")
    return await gatehouse.logout_redirect(request, f"{APP}/logged-out", hint)


async def logout_without_hint(request):  # as Grafana does: only its client_id says who asks
    client_id = os.environ["CLIENT_ID"]
    return await gatehouse.logout_redirect(request, f"{APP}/logged-out", client_id=client_id)


async def logged_out(request):
    await gatehouse.validate_logout_response(request)
    return JSONResponse({"logged_out": True})


async def refused(request, error):
    return JSONResponse({"error": error.error, "description": error.description}, 400)


routes = [
    Route(f"/{f.__name__.replace('_', '-')}", f)
    for f in (login, callback, refresh, logout, logout_without_hint, logged_out)
]
app = Starlette(
    routes=routes,
    middleware=[Middleware(SessionMiddleware, secret_key=os.urandom(32).hex())],
    exception_handlers={OAuthError: refused},
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(APP.rsplit(":", 1)[1]))
