"""Replays a Dockerfile's build for one package without a Docker engine.

`make compose-check` has no Docker engine, yet must prove that each service image holds
what the service needs. This reads the Dockerfile and replays it into a scratch folder
that stands for the image's file system: COPY from the build context (filtered by
.dockerignore, as Docker sends it), COPY --from an earlier stage, WORKDIR, ENV, and the
RUN steps of every stage but the last (they build the venv with uv; the last stage's RUN
steps are OS set-up: a system user). Then, in the final stage's file system alone (the
build stage is deleted first), it imports `<module>.app` and runs `<package> --help`
with the image's venv (/app/.venv).

A COPY that the package needs and the Dockerfile lacks makes uv's build or the import
fail, and so this check: `python replay_build.py docker/service.Dockerfile auth-service`.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".tools" / "bin" / "uv"
# Flags of RUN that only steer BuildKit (a cache mount, the network): no effect here.
BUILDKIT_FLAG = re.compile(r"^--(mount|network|security)=\S+\s+")


class ReplayError(Exception):
    """The image would not build or would not hold a working service."""


@dataclass
class Stage:
    name: str
    image: str
    steps: list[tuple[str, str]] = field(default_factory=list)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs; comments dropped, continuation lines joined."""
    steps: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or (stripped.startswith("#") and not pending.endswith("\\")):
            continue
        pending = f"{pending[:-1]} {stripped}" if pending.endswith("\\") else stripped
        if not pending.endswith("\\"):
            keyword, _, rest = pending.partition(" ")
            steps.append((keyword.upper(), rest.strip()))
            pending = ""
    return steps


def expand(value: str, variables: dict[str, str]) -> str:
    def lookup(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return variables.get(name, "")

    return re.sub(r"\$\{(\w+)[^}]*\}|\$(\w+)", lookup, value)


def stages(text: str, build_args: dict[str, str]) -> tuple[list[Stage], dict[str, str]]:
    global_args: dict[str, str] = {}
    found: list[Stage] = []
    for keyword, rest in instructions(text):
        if keyword == "FROM":
            words = expand(rest, global_args).split()
            name = words[2] if len(words) > 2 and words[1].upper() == "AS" else str(len(found))
            found.append(Stage(name, words[0]))
        elif not found:
            if keyword == "ARG":
                name, _, default = rest.partition("=")
                global_args[name] = build_args.get(name, default)
        else:
            found[-1].steps.append((keyword, rest))
    return found, global_args


def dockerignore_filter(text: str) -> list[tuple[re.Pattern[str], bool]]:
    """.dockerignore as (regex, excludes) rules: the last rule that matches a path, or
    one of its parent folders, decides (as Docker's pattern matcher does)."""
    rules = []
    for line in text.splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        excludes = not pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*", "\0").replace(r"\*", "[^/]*")
        regex = regex.replace(r"\?", "[^/]").replace("\0/", "(.*/)?").replace("\0", ".*")
        rules.append((re.compile(f"^{regex}$"), excludes))
    return rules


def in_context(relative: str, rules: list[tuple[re.Pattern[str], bool]]) -> bool:
    parts = relative.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for regex, excludes in rules:
        if any(regex.match(candidate) for candidate in candidates):
            excluded = excludes
    return not excluded


class Replay:
    def __init__(self, scratch: Path, context: Path, ignore: str, build_args: dict[str, str]):
        self.scratch, self.context, self.build_args = scratch, context, build_args
        self.rules = dockerignore_filter(ignore)
        self.image = scratch / "image"  # the stage being built: its "/"
        self.log: list[str] = []

    def inside(self, path: str, workdir: str) -> Path:
        absolute = path if path.startswith("/") else f"{workdir.rstrip('/')}/{path}"
        return self.image / absolute.lstrip("/")

    def context_files(self, source: str) -> list[Path]:
        base = self.context / source.rstrip("/")
        found = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        kept = [p for p in found if in_context(p.relative_to(self.context).as_posix(), self.rules)]
        if not kept:
            raise ReplayError(f"COPY {source}: not in the build context (missing or ignored)")
        return kept

    def copy(self, rest: str, workdir: str, variables: dict[str, str]) -> None:
        words = shlex.split(expand(rest, variables))
        flags = dict(w[2:].split("=", 1) for w in words if w.startswith("--"))
        *sources, destination = [w for w in words if not w.startswith("--")]
        target = self.inside(destination, workdir)
        origin = flags.get("from")
        if origin is not None:
            done = self.scratch / "stages" / origin
            if not done.exists():  # an outside image (uv's): checked in `check_uv`
                self.log.append(f"skipped COPY --from={origin} (an outside image)")
                return
            shutil.copytree(done / sources[0].lstrip("/"), target, symlinks=True)
            return
        for source in sources:
            path = self.context / source.rstrip("/")
            for file in self.context_files(source):
                if path.is_dir():
                    into = target / file.relative_to(path)
                elif destination.endswith("/") or len(sources) > 1:
                    into = target / file.name
                else:
                    into = target
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, into)

    def run(self, rest: str, workdir: str, env: dict[str, str]) -> None:
        command = rest
        while BUILDKIT_FLAG.match(command):
            command = BUILDKIT_FLAG.sub("", command, count=1)
        cwd = self.inside(workdir, "/")
        cwd.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(  # noqa: S603 - the Dockerfile's own build step
            ["/bin/sh", "-c", command], cwd=cwd, env=env, capture_output=True, text=True
        )
        self.log.append(f"RUN {command}\n{done.stdout}{done.stderr}")
        if done.returncode != 0:
            raise ReplayError(f"RUN {command} failed ({done.returncode}):\n{done.stderr}")

    def stage(self, stage: Stage, final: bool, global_args: dict[str, str]) -> str:
        env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
        env["PATH"] = f"{UV.parent}{os.pathsep}{env.get('PATH', '')}"
        python = re.match(r"python:(\d+\.\d+)", stage.image)
        if python:  # the image's Python line (3.11), as installed on this machine
            env["UV_PYTHON"] = python.group(1)
        variables, workdir = dict(global_args), "/"
        for keyword, rest in stage.steps:
            if keyword == "ARG":
                name, _, default = rest.partition("=")
                variables[name] = self.build_args.get(name, global_args.get(name, default))
                env[name] = variables[name]
            elif keyword == "ENV":
                for word in shlex.split(rest):
                    name, _, value = word.partition("=")
                    value = expand(value, {**env, **variables})
                    mapped = str(self.image) + value if value.startswith("/") else value
                    variables[name], env[name] = value, mapped
            elif keyword == "WORKDIR":
                workdir = expand(rest, variables)
                self.inside(workdir, "/").mkdir(parents=True, exist_ok=True)
            elif keyword == "COPY":
                self.copy(rest, workdir, variables)
            elif keyword == "RUN" and not final:
                self.run(rest, workdir, env)
            else:
                self.log.append(f"not replayed: {keyword} {rest[:60]}")
        return workdir

    def replay(self, text: str) -> Path:
        found, global_args = stages(text, self.build_args)
        check_uv(found)
        workdir = "/"
        for number, stage in enumerate(found):
            if self.image.exists():  # the previous stage is done: keep it for COPY --from
                (self.scratch / "stages").mkdir(exist_ok=True)
                previous = found[number - 1]
                if previous.steps:  # one without steps is an outside image as it stands
                    self.image.rename(self.scratch / "stages" / previous.name)
                else:
                    self.image.rmdir()
            self.image.mkdir()
            workdir = self.stage(stage, number == len(found) - 1, global_args)
        shutil.rmtree(self.scratch / "stages", ignore_errors=True)  # only the last one ships
        return self.inside(workdir, "/")


def check_uv(found: list[Stage]) -> None:
    """The image's uv (a tag of uv's own image) must be the uv this replay runs."""
    tags = [s.image.rsplit(":", 1)[1] for s in found if s.image.startswith("ghcr.io/astral-sh/uv")]
    ours = subprocess.run([UV, "--version"], capture_output=True, text=True, check=True)  # noqa: S603
    for tag in tags:
        if ours.stdout.split()[1] != tag:
            raise ReplayError(f"the image uses uv {tag}, this replay {ours.stdout.strip()}")


def check_image(dockerfile: str, package: str, ignore: str, context: Path = ROOT) -> str:
    """Replays `dockerfile` for `package`; returns `<package> --help`. Raises ReplayError."""
    with tempfile.TemporaryDirectory(prefix="gatehouse-image-") as scratch:
        replay = Replay(Path(scratch), context, ignore, {"PACKAGE": package})
        workdir = replay.replay(dockerfile)
        venv = replay.image / "app" / ".venv" / "bin"
        env = {"PATH": f"{venv}{os.pathsep}/usr/bin:/bin", "HOME": scratch}
        module = package.replace("-", "_")
        for argv in (
            [str(venv / "python"), "-c", f"import {module}.app"],
            [str(venv / package), "--help"],
        ):
            done = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True)  # noqa: S603
            if done.returncode != 0:
                raise ReplayError(f"{' '.join(argv[-2:])} failed in the image:\n{done.stderr}")
        return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dockerfile", type=Path)
    parser.add_argument("packages", nargs="+")
    args = parser.parse_args()
    text = args.dockerfile.read_text()
    ignore = (ROOT / ".dockerignore").read_text()
    for package in args.packages:
        try:
            check_image(text, package, ignore)
        except ReplayError as error:
            print(f"{args.dockerfile} --build-arg PACKAGE={package}: {error}", file=sys.stderr)
            return 1
        print(f"{args.dockerfile} --build-arg PACKAGE={package}: imports and runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
