"""`DirectRoute`: a route whose dependencies take the request alone, served without
FastAPI's dependency solving.

`APIRouter(route_class=DirectRoute)`. A route qualifies when it has no body, no path,
query, header or cookie parameters, a response model answered as JSON, and only
dependencies that are `async` callables of the request with no dependencies of their own
(the bearer principal, a service taken from the app's state), or function-scoped `yield`
dependencies of the request (the transaction of `service_kit.deps`). Its handler then calls each
dependency in the declared order, once per request, calls the endpoint and serializes the
answer as FastAPI does; FastAPI's solver would spend more per dependency than such a
dependency costs. Any other route, and every route while dependency overrides are set,
goes through FastAPI's own handler. The route's `dependant` is left as declared, so the
OpenAPI document (security schemes included) does not change.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from contextlib import asynccontextmanager as asynccontext
from typing import Any

import anyio
from fastapi import routing as fastapi_routing
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import ResponseValidationError
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
# (parameter name or None, callable, its request parameter's name, whether it is cached,
# whether it is a function-scoped `yield` dependency)
Direct = tuple[str | None, Callable[..., Any], str | None, bool, bool]

# A route included in a router is served under the included copy's settings (its
# dependencies and overrides provider); FastAPI hands that copy to get_route_handler
# through this variable. Without it every route takes FastAPI's handler.
_EFFECTIVE_ROUTE = getattr(fastapi_routing, "_effective_route_context_var", None)


def _is_async(call: Any) -> bool:
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(
        getattr(call, "__call__", None)  # noqa: B004 (an instance's async __call__)
    )


def _params(dep: Dependant) -> bool:
    return bool(
        dep.path_params
        or dep.query_params
        or dep.header_params
        or dep.cookie_params
        or dep.body_params
        or dep.websocket_param_name
        or dep.http_connection_param_name
        or dep.background_tasks_param_name
        or dep.security_scopes_param_name
    )


def _direct(dep: Dependant) -> Direct | None:
    """How to call `dep` directly, or None when only FastAPI's solver can."""
    call = dep.call
    if (
        call is None
        or dep.dependencies
        or _params(dep)
        or dep.response_param_name
        or dep.own_oauth_scopes
        or dep.concurrency is not None
    ):
        return None
    generator = inspect.isasyncgenfunction(call)
    if not (generator and dep.scope == "function") and (generator or not _is_async(call)):
        return None
    return (dep.name, call, dep.request_param_name, dep.use_cache, generator)


class _ShieldedExit:
    """A `yield` dependency's context: its exit (the commit) runs even when the request is
    cancelled, as under FastAPI's solver."""

    def __init__(self, cm: AbstractAsyncContextManager[Any]) -> None:
        self.cm = cm

    async def __aenter__(self) -> Any:
        return await self.cm.__aenter__()

    async def __aexit__(self, *exc: Any) -> bool | None:
        with anyio.CancelScope(shield=True):
            suppressed = await self.cm.__aexit__(*exc)
        return suppressed


class DirectRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        standard = super().get_route_handler()
        if _EFFECTIVE_ROUTE is None:
            return standard
        context = _EFFECTIVE_ROUTE.get()
        route: Any = context if context is not None and context.original_route is self else self
        direct = _plan(route)
        return standard if direct is None else _direct_handler(route, direct, standard)


def _plan(route: Any) -> list[Direct] | None:
    dependant: Dependant = route.dependant
    if (
        route.body_field is not None
        or route.response_field is None
        or not isinstance(route.response_class, DefaultPlaceholder)
        or route.is_sse_stream
        or route.is_json_stream
        or _params(dependant)
        or not inspect.iscoroutinefunction(dependant.call)
    ):
        return None
    plan = [_direct(dep) for dep in dependant.dependencies]
    return None if any(step is None for step in plan) else plan  # type: ignore[return-value]


def _direct_handler(route: Any, plan: list[Direct], standard: Handler) -> Handler:
    endpoint = route.dependant.call
    request_name = route.dependant.request_param_name
    response_name = route.dependant.response_param_name
    provider = route.dependency_overrides_provider
    field, status_code = route.response_field, route.status_code
    dump = {
        "include": route.response_model_include,
        "exclude": route.response_model_exclude,
        "by_alias": route.response_model_by_alias,
        "exclude_unset": route.response_model_exclude_unset,
        "exclude_defaults": route.response_model_exclude_defaults,
        "exclude_none": route.response_model_exclude_none,
    }

    async def handle(request: Request) -> Response:
        if provider is not None and getattr(provider, "dependency_overrides", None):
            return await standard(request)
        # What the endpoint may set (status, headers, cookies), as FastAPI's sub-response.
        sub = Response()
        del sub.headers["content-length"]
        sub.status_code = None  # type: ignore[assignment]
        values: dict[str, Any] = {}
        solved: dict[Any, Any] = {}
        for name, call, request_arg, cached, generator in plan:
            if cached and call in solved:
                value = solved[call]
            elif generator:
                # Closed when the endpoint has returned, before the answer is sent.
                stack: AsyncExitStack = request.scope["fastapi_function_astack"]
                kwargs = {request_arg: request} if request_arg else {}
                value = await stack.enter_async_context(_ShieldedExit(asynccontext(call)(**kwargs)))
                solved.setdefault(call, value)
            else:
                value = await (call(**{request_arg: request}) if request_arg else call())
                solved.setdefault(call, value)
            if name is not None:
                values[name] = value
        if request_name is not None:
            values[request_name] = request
        if response_name is not None:
            values[response_name] = sub
        raw = await endpoint(**values)
        if isinstance(raw, Response):
            return raw
        value, errors = field.validate(raw, {}, loc=("response",))
        if errors:
            raise ResponseValidationError(errors=errors, body=raw)
        response = Response(
            content=field.serialize_json(value, **dump),
            media_type="application/json",
            status_code=sub.status_code or status_code or 200,
        )
        if not is_body_allowed_for_status_code(response.status_code):
            response.body = b""
        response.headers.raw.extend(sub.headers.raw)
        return response

    return handle
