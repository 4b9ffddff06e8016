"""Each service image, replayed from docker/service.Dockerfile, imports and runs its
service; a COPY it needs that is missing (or kept out by .dockerignore) fails the check."""

from __future__ import annotations

import subprocess

import pytest
from replay_build import ROOT, ReplayError, check_image

DOCKERFILE = (ROOT / "docker" / "service.Dockerfile").read_text()
DOCKERIGNORE = (ROOT / ".dockerignore").read_text()


@pytest.mark.parametrize("package", ["auth-service", "resource-service"])
def test_each_service_image_holds_a_working_service(package: str) -> None:
    help_text = check_image(DOCKERFILE, package, DOCKERIGNORE)

    assert f"usage: {package}" in help_text


def without_line(text: str, line: str) -> str:
    assert line in text.splitlines(), line
    return "\n".join(kept for kept in text.splitlines() if kept != line)


def test_an_image_without_the_shared_library_fails_the_check() -> None:
    # What auth-service/Dockerfile did until this check existed: auth_client never copied.
    broken = without_line(DOCKERFILE, "COPY auth-client/src auth-client/src")

    with pytest.raises(ReplayError, match="auth_client"):
        check_image(broken, "auth-service", DOCKERIGNORE)


def test_a_dockerignore_that_keeps_the_code_out_fails_the_check() -> None:
    broken = without_line(DOCKERIGNORE, "!resource-service/src")

    with pytest.raises(ReplayError, match="resource-service/src"):
        check_image(DOCKERFILE, "resource-service", broken)


def test_the_python_services_share_one_dockerfile() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*Dockerfile"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert sorted(listed.stdout.split()) == ["docker/service.Dockerfile", "web/Dockerfile"]
