"""Gatehouse service kit: the plumbing both services share.

- `problems`: the error base (`AppError`) and problem+json responses, OpenAPI helpers;
- `handlers`: the exception handlers (errors, validation, HTTP, dependency down, overload);
- `db`: the engine, the session factory, one transaction per request (`deps.DbDep`);
- `middleware`: the request-body size limit; `migrations`: the Alembic runner;
- `logs`, `observability`, `last_resort`: JSON logs, request ids, metrics, the 500 of last
  resort; `docs`: Swagger UI without a CDN; `testing`: the pytest plugin of app clients.
"""
