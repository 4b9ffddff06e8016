# syntax=docker/dockerfile:1.7
# The Python services' image, one Dockerfile for both; the build argument PACKAGE names
# the service (auth-service or resource-service). Build context: the repository root
# (the uv workspace):
#   docker build -f docker/service.Dockerfile --build-arg PACKAGE=auth-service -t gatehouse/auth-service .
# docker-compose.yml builds both this way; the same image runs `<package> migrate`.
# `make compose-check` replays this file's build steps for each package into a scratch
# folder and imports the result (docker/checks/replay_build.py): a missing COPY fails it.

ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

# ---- build: a self-contained virtual environment in /app/.venv
FROM ${PYTHON_IMAGE} AS build
ARG PACKAGE
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Dependencies first, from the lock file alone: this layer is rebuilt only when a
# manifest or uv.lock changes, not on every code change. uv needs every workspace
# member's manifest to read the workspace.
COPY pyproject.toml uv.lock ./
COPY auth-service/pyproject.toml auth-service/
COPY auth-client/pyproject.toml auth-client/
COPY service-kit/pyproject.toml service-kit/
COPY resource-service/pyproject.toml resource-service/
COPY devstack/pyproject.toml devstack/
COPY tests-e2e/pyproject.toml tests-e2e/
RUN --mount=type=cache,target=/root/.cache/uv \
    : "${PACKAGE:?--build-arg PACKAGE=auth-service or resource-service}" \
    && uv sync --frozen --no-dev --no-install-workspace --package "${PACKAGE}"
# Then the code: the service, and the auth-client library and the service kit that both
# services import, installed as wheels (not editable) so that the venv stands on its own.
COPY auth-client/src auth-client/src
COPY service-kit/src service-kit/src
COPY ${PACKAGE}/src ${PACKAGE}/src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "${PACKAGE}"

# ---- runtime: the venv and the launcher, run by an unprivileged user
FROM ${PYTHON_IMAGE} AS runtime
ARG PACKAGE
RUN groupadd --system --gid 10001 gatehouse \
    && useradd --system --uid 10001 --gid gatehouse --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin gatehouse
COPY --from=build /app/.venv /app/.venv
COPY docker/service.py /app/service.py
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GATEHOUSE_SERVICE=${PACKAGE}
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "/app/service.py", "healthcheck"]
# uvicorn on :8000, behind Traefik (see docker/service.py for its flags).
CMD ["python", "/app/service.py", "serve"]
