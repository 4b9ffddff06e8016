"""The Kubernetes manifests (deploy/kubernetes) render, validate, and keep their promises.

Each test renders the base and every overlay with `kubectl kustomize` and checks the
rendered objects, offline: no cluster is needed. `make k8s-check` runs this module.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from k8s_manifests import (
    KUBERNETES,
    Obj,
    containers,
    environment,
    gateway_middlewares,
    kustomizations,
    named,
    of_kind,
    pod_specs,
    render,
    schema_errors,
    selects,
)

ALL = pytest.mark.parametrize("target", kustomizations(), ids=lambda p: p.name)
OVERLAYS = pytest.mark.parametrize("target", kustomizations()[1:], ids=lambda p: p.name)

SERVICES = ("auth-service", "resource-service", "web")
PROBES = {  # Deployment: (liveness path, readiness path)
    "auth-service": ("/api/auth/healthz", "/api/auth/readyz"),
    "resource-service": ("/api/resource/healthz", "/api/resource/readyz"),
    "web": ("/healthz", "/healthz"),  # static files: the image answers /healthz only
}
SECRET_NAME = re.compile(r"(KEY|SECRET|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL|SMTP_URL)$")


def pod_labels(objects: tuple[Obj, ...], deployment: str) -> dict[str, str]:
    labels: dict[str, str] = named(objects, "Deployment", deployment)["spec"]["template"][
        "metadata"
    ]["labels"]
    return labels


def server_env(objects: tuple[Obj, ...], deployment: str) -> dict[str, object]:
    (main,) = named(objects, "Deployment", deployment)["spec"]["template"]["spec"]["containers"]
    return environment(objects, main)


def test_the_base_and_the_production_overlay_are_rendered() -> None:
    assert [p.name for p in kustomizations()][:1] == ["base"]
    assert "production" in [p.name for p in kustomizations()]


@ALL
def test_every_object_matches_its_schema_strictly(target: Path) -> None:
    errors = [error for obj in render(target) for error in schema_errors(obj)]
    assert errors == []


@ALL
def test_every_container_runs_unprivileged_on_a_read_only_root_filesystem(target: Path) -> None:
    for where, pod in pod_specs(render(target)):
        pod_context = pod.get("securityContext", {})
        assert pod.get("automountServiceAccountToken") is False, where
        for c in containers(pod):
            ctx = {**pod_context, **c.get("securityContext", {})}
            assert ctx.get("runAsNonRoot") is True, (where, c["name"])
            assert ctx.get("runAsUser", 0) != 0, (where, c["name"])
            assert ctx.get("readOnlyRootFilesystem") is True, (where, c["name"])
            assert ctx.get("allowPrivilegeEscalation") is False, (where, c["name"])
            assert "ALL" in ctx.get("capabilities", {}).get("drop", []), (where, c["name"])
            assert ctx.get("seccompProfile", {}).get("type") == "RuntimeDefault", (where, c["name"])
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            volumes = {v["name"]: v for v in pod.get("volumes", [])}
            # The one writable place: a pod-private emptyDir (the path in the container).
            assert "emptyDir" in volumes[mounts["/tmp"]], (where, c["name"])  # noqa: S108


@ALL
def test_every_container_has_cpu_and_memory_requests_and_limits(target: Path) -> None:
    for where, pod in pod_specs(render(target)):
        for c in containers(pod):
            resources = c.get("resources", {})
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(bound, {})), (where, c["name"])


@ALL
def test_every_deployment_probes_liveness_and_readiness_on_its_health_paths(target: Path) -> None:
    objects = render(target)
    assert {d["metadata"]["name"] for d in of_kind(objects, "Deployment")} == set(SERVICES)
    for name, (live, ready) in PROBES.items():
        pod = named(objects, "Deployment", name)["spec"]["template"]["spec"]
        main = next(c for c in pod["containers"] if c["name"] == name)
        ports = {p["name"] for p in main["ports"]}
        assert main["livenessProbe"]["httpGet"]["path"] == live
        assert main["readinessProbe"]["httpGet"]["path"] == ready
        for probe in ("livenessProbe", "readinessProbe"):
            assert main[probe]["httpGet"]["port"] in ports


@ALL
def test_every_deployment_spreads_its_pods_over_zones_and_nodes(target: Path) -> None:
    objects = render(target)
    for name in SERVICES:
        pod = named(objects, "Deployment", name)["spec"]["template"]["spec"]
        spread = pod.get("topologySpreadConstraints", [])
        keys = {
            c["topologyKey"]
            for c in spread
            if selects(c["labelSelector"], pod_labels(objects, name))
        }
        assert {"topology.kubernetes.io/zone", "kubernetes.io/hostname"} <= keys, name


@ALL
def test_each_service_has_a_disruption_budget_and_a_cpu_autoscaler(target: Path) -> None:
    objects = render(target)
    for name in SERVICES:
        labels = pod_labels(objects, name)
        budgets = [
            p
            for p in of_kind(objects, "PodDisruptionBudget")
            if selects(p["spec"]["selector"], labels)
        ]
        assert len(budgets) == 1, name
        scalers = [
            h
            for h in of_kind(objects, "HorizontalPodAutoscaler")
            if h["apiVersion"] == "autoscaling/v2"
            and h["spec"]["scaleTargetRef"]
            == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        ]
        assert len(scalers) == 1, name
        metrics = scalers[0]["spec"]["metrics"]
        assert any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in metrics)
        # The autoscaler owns the replica count: a re-apply must not reset it.
        assert "replicas" not in named(objects, "Deployment", name)["spec"], name


@ALL
def test_no_secret_is_rendered_and_secret_settings_come_from_secret_key_refs(target: Path) -> None:
    objects = render(target)
    assert of_kind(objects, "Secret") == []
    for config in of_kind(objects, "ConfigMap"):
        assert not [k for k in config.get("data", {}) if SECRET_NAME.search(k)], config["metadata"]
    referenced = set()
    for where, pod in pod_specs(objects):
        for c in containers(pod):
            for var, value in environment(objects, c).items():
                if SECRET_NAME.search(var):
                    assert isinstance(value, tuple) and value[0] == "secret", (where, var)
                if isinstance(value, tuple):
                    referenced.add(value[1:])
    assert referenced >= {
        ("gatehouse-auth", "AUTH_KEY_ENCRYPTION_KEY"),
        ("gatehouse-auth", "AUTH_DATABASE_URL"),
        ("gatehouse-auth", "AUTH_REDIS_URL"),
        ("gatehouse-resource", "RESOURCE_DATABASE_URL"),
    }
    readme = (KUBERNETES / "README.md").read_text()
    for secret, key in referenced:  # the operator is told what to create
        assert re.search(rf"`{secret}`.*`{key}`", readme), (secret, key)


def policy(objects: tuple[Obj, ...], name: str) -> Obj:
    spec: Obj = named(objects, "NetworkPolicy", name)["spec"]
    return spec


@ALL
def test_network_policies_deny_by_default_and_open_only_the_stated_paths(target: Path) -> None:
    objects = render(target)
    policies = of_kind(objects, "NetworkPolicy")
    deny = policy(objects, "default-deny")
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    dns = policy(objects, "allow-dns-egress")
    assert dns["podSelector"] == {} and {p["port"] for p in dns["egress"][0]["ports"]} == {53}

    # Ingress: the controller's namespace reaches every server; the auth service also
    # takes the resource service's JWKS fetches; nothing else is let in.
    controller = policy(objects, "allow-ingress-controller")
    for name in SERVICES:
        assert selects(controller["podSelector"], pod_labels(objects, name)), name
    assert all("namespaceSelector" in peer for peer in controller["ingress"][0]["from"])
    ingress_rules = {p["metadata"]["name"] for p in policies if p["spec"].get("ingress")}
    assert ingress_rules == {"allow-ingress-controller", "auth-service-from-resource-service"}

    # Egress to PostgreSQL (5432) and Redis (6379) addresses: only the services' pods.
    for p in policies:
        for rule in p["spec"].get("egress", []):
            ports = {port["port"] for port in rule.get("ports", [])}
            if ports & {5432, 6379}:
                assert all("ipBlock" in peer for peer in rule["to"]), p["metadata"]["name"]
                assert not selects(p["spec"]["podSelector"], pod_labels(objects, "web"))
                assert p["spec"]["podSelector"] != {}
    auth_egress = policy(objects, "auth-service-egress")["egress"]
    # PostgreSQL, Redis and the mail relay (submission with STARTTLS, or smtps).
    ports = {port["port"] for rule in auth_egress for port in rule["ports"]}
    assert ports == {5432, 6379, 587, 465}
    assert all("ipBlock" in peer for rule in auth_egress for peer in rule["to"])
    web_egress = [
        p for p in policies if selects(p["spec"]["podSelector"], pod_labels(objects, "web"))
    ]
    assert [p["metadata"]["name"] for p in web_egress if p["spec"].get("egress")] == [
        "allow-dns-egress"
    ]


def lets_through(rule: Obj, peer_key: str, labels: dict[str, str]) -> bool:
    """Whether an ingress (`from`) or egress (`to`) rule admits these pods on `http`."""
    peers = [p for p in rule.get(peer_key, []) if set(p) == {"podSelector"}]
    ports = {port["port"] for port in rule.get("ports", [])}
    return "http" in ports and any(selects(p["podSelector"], labels) for p in peers)


@ALL
def test_the_resource_service_follows_the_revocation_feed_as_the_client_auth_ensures(
    target: Path,
) -> None:
    objects = render(target)
    auth, resource = server_env(objects, "auth-service"), server_env(objects, "resource-service")
    # One Secret gives both sides the same client: the auth service ensures it at start-up.
    client_id = ("secret", "gatehouse-revocation-client", "CLIENT_ID")
    secret = ("secret", "gatehouse-revocation-client", "CLIENT_SECRET")
    assert (
        auth["AUTH_BOOTSTRAP_CLIENT_ID"] == resource["RESOURCE_REVOCATION_CLIENT_ID"] == client_id
    )
    assert auth["AUTH_BOOTSTRAP_CLIENT_SECRET"] == secret
    assert resource["RESOURCE_REVOCATION_CLIENT_SECRET"] == secret
    assert "revocations:read" in str(auth["AUTH_BOOTSTRAP_CLIENT_SCOPES"]).split(",")
    # The feed from the auth Service, in-cluster.
    feed = urlsplit(str(resource["RESOURCE_REVOCATION_URL"]))
    service = named(objects, "Service", "auth-service")["spec"]
    assert (feed.scheme, feed.hostname, feed.path) == ("http", "auth-service", "/api/auth")
    assert feed.port in {p["port"] for p in service["ports"]}
    auth_pods = pod_labels(objects, "auth-service")
    resource_pods = pod_labels(objects, "resource-service")
    assert selects({"matchLabels": service["selector"]}, auth_pods)
    # The policies let the resource pods out to the auth pods, and the auth pods take them in.
    policies = [p["spec"] for p in of_kind(objects, "NetworkPolicy")]
    out = [p for p in policies if selects(p["podSelector"], resource_pods)]
    assert any(lets_through(r, "to", auth_pods) for p in out for r in p.get("egress", []))
    into = [p for p in policies if selects(p["podSelector"], auth_pods)]
    assert any(lets_through(r, "from", resource_pods) for p in into for r in p.get("ingress", []))
    # Only the two servers hold the client's secret (not the migrations, not web).
    holders = {
        where
        for where, pod in pod_specs(objects)
        for c in containers(pod)
        if secret in environment(objects, c).values()
    }
    assert holders == {"Deployment/auth-service", "Deployment/resource-service"}


@ALL
def test_migrations_run_as_a_job_and_before_every_server_of_that_service(target: Path) -> None:
    objects = render(target)
    for service in ("auth-service", "resource-service"):
        command = [service, "migrate"]
        job = named(objects, "Job", f"{service}-migrate")["spec"]["template"]["spec"]
        assert [c["command"] for c in job["containers"]] == [command]
        assert job["restartPolicy"] in {"OnFailure", "Never"}
        pod = named(objects, "Deployment", service)["spec"]["template"]["spec"]
        (init,) = pod["initContainers"]
        (main,) = pod["containers"]
        assert init["command"] == command
        assert init["image"] == main["image"] == job["containers"][0]["image"]


def route_for(objects: tuple[Obj, ...], path: str) -> Obj:
    """The IngressRoute rule Traefik picks for a path (highest priority, then longest rule)."""
    (ingress,) = of_kind(objects, "IngressRoute")
    matching = []
    for route in ingress["spec"]["routes"]:
        prefixes = re.findall(r"PathPrefix\(`([^`]*)`\)", route["match"])
        exact = re.findall(r"Path\(`([^`]*)`\)", route["match"])
        regexes = re.findall(r"PathRegexp\(`([^`]*)`\)", route["match"])
        if (
            any(path.startswith(p) for p in prefixes)
            or path in exact
            or any(re.search(r, path) for r in regexes)
        ):
            matching.append(route)
    return max(matching, key=lambda r: (r.get("priority", len(r["match"])), len(r["match"])))


@ALL
def test_the_ingress_route_sends_api_paths_to_the_services_and_the_rest_to_web(
    target: Path,
) -> None:
    objects = render(target)
    expect = {
        "/api/auth/login": "auth-service",
        "/api/resource/notes": "resource-service",
        "/": "web",
        "/settings": "web",
        "/api/auth/metrics": "web",  # not public: the web server's 404
        "/metrics": "web",
    }
    for path, service in expect.items():
        assert [s["name"] for s in route_for(objects, path)["services"]] == [service], path
    for path in ("/api/auth/login", "/api/resource/notes"):
        used = [m["name"] for m in route_for(objects, path)["middlewares"]]
        assert {"security-headers", "body-limit", "api-rate-limit", "encoded-characters"} <= set(
            used
        )
    defined = {m["metadata"]["name"] for m in of_kind(objects, "Middleware")}
    (ingress,) = of_kind(objects, "IngressRoute")
    for route in ingress["spec"]["routes"]:
        assert {m["name"] for m in route.get("middlewares", [])} <= defined


@ALL
def test_the_middlewares_are_those_of_the_local_gateway(target: Path) -> None:
    objects = render(target)
    shared = gateway_middlewares()
    # Only the entrypoint's rules (encoded characters) are a middleware here and not there.
    defined = {m["metadata"]["name"] for m in of_kind(objects, "Middleware")}
    assert defined - {"encoded-characters"} == set(shared)
    for name, spec in shared.items():
        crd = named(objects, "Middleware", name)["spec"]
        (kind,) = spec
        expected = {
            k: int(v) if isinstance(v, str) and v.isdigit() else v for k, v in spec[kind].items()
        }
        assert crd == {kind: expected}, name


@ALL
def test_the_public_url_agrees_everywhere(target: Path) -> None:
    objects = render(target)
    auth, resource = server_env(objects, "auth-service"), server_env(objects, "resource-service")
    issuer = urlsplit(auth["AUTH_ISSUER"])
    assert issuer.scheme == "https"
    assert resource["RESOURCE_ISSUER"] == auth["AUTH_ISSUER"]
    assert auth["AUTH_ALLOWED_ORIGINS"] == f"https://{issuer.netloc}"
    (ingress,) = of_kind(objects, "IngressRoute")
    hosts = {
        h for r in ingress["spec"]["routes"] for h in re.findall(r"Host\(`([^`]*)`\)", r["match"])
    }
    assert hosts == {issuer.hostname}
    assert all(r["match"].startswith("Host(`") for r in ingress["spec"]["routes"])
    # Keys come from the auth service's Service inside the cluster.
    jwks = urlsplit(resource["RESOURCE_JWKS_URL"])
    service = named(objects, "Service", "auth-service")
    assert jwks.hostname == "auth-service"
    assert jwks.port in {p["port"] for p in service["spec"]["ports"]}
    assert jwks.path == "/api/auth/.well-known/jwks.json"
    assert auth["AUTH_COOKIE_SECURE"] == "true"
    assert auth["AUTH_DOCS"] == "false" and resource["RESOURCE_DOCS"] == "false"
    assert "AUTH_DEV_MODE" not in auth


@OVERLAYS
def test_production_pins_images_and_keeps_replicas_through_disruptions(target: Path) -> None:
    objects = render(target)
    for where, pod in pod_specs(objects):
        for c in containers(pod):
            registry, _, rest = c["image"].partition("/")
            name, _, tag = rest.rpartition(":")
            assert "." in registry and name and tag not in {"", "latest", "local"}, (
                where,
                c["image"],
            )
    for service in ("auth-service", "resource-service"):
        assert named(objects, "HorizontalPodAutoscaler", service)["spec"]["minReplicas"] >= 2
    for budget in of_kind(objects, "PodDisruptionBudget"):
        assert budget["spec"] == {**budget["spec"], "minAvailable": 1}
        assert "maxUnavailable" not in budget["spec"]
    (ingress,) = of_kind(objects, "IngressRoute")
    assert ingress["spec"]["entryPoints"] == ["websecure"] and ingress["spec"]["tls"]
    (namespace,) = of_kind(objects, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_the_example_secrets_hold_placeholders_and_are_never_applied() -> None:
    for kustomization in KUBERNETES.rglob("kustomization.yaml"):
        assert "examples" not in kustomization.read_text(), kustomization
    examples = list(
        yaml.safe_load_all((KUBERNETES / "examples" / "secrets.example.yaml").read_text())
    )
    assert {doc["kind"] for doc in examples} == {"Secret"}
    for doc in examples:
        assert "data" not in doc
        assert all("REPLACE-ME" in value for value in doc["stringData"].values())
