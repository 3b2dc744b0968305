"""deploy/compose.yaml and deploy/k8s validated against their published schemas, offline.

Containers cannot run where these tests run (no Docker engine, no cluster), so this is what
stands in for `docker compose config` and `kubectl apply --dry-run=server`:
- Compose: the Compose Specification JSON schema as vendored by the PyPI package
  check-jsonschema (its builtin_schemas/vendor/compose-spec.json; the package is only read
  for that file, never imported: the schema is data).
- Kubernetes: kubernetes-validate (PyPI), which bundles the Kubernetes JSON schemas per
  version; strict mode, so a misspelt field is an error, not silently ignored.
Each validator is also shown a broken copy, so a validator that accepts anything fails here.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from tests.unit.deploy.deploy_files import COMPOSE_FILE, K8S, compose, k8s_documents, load_yaml

# Oldest and newest Kubernetes minor versions the manifests are meant for.
K8S_VERSIONS = ("1.29.0", "1.33.0")


def compose_schema() -> dict[str, Any]:
    spec = importlib.util.find_spec("check_jsonschema")
    assert spec is not None and spec.submodule_search_locations, "pip install check-jsonschema"
    root = Path(next(iter(spec.submodule_search_locations)))
    schema: dict[str, Any] = json.loads(
        (root / "builtin_schemas" / "vendor" / "compose-spec.json").read_text(encoding="utf-8"))
    return schema


@functools.cache
def compose_validator() -> Any:
    schema = compose_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def compose_errors(document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in compose_validator().iter_errors(document)]


def test_compose_file_matches_the_compose_specification() -> None:
    assert compose_errors(compose()) == []


@pytest.mark.parametrize("breakage", ["unknown_key", "bad_depends_condition", "ports_type"])
def test_compose_schema_rejects_a_broken_copy(breakage: str) -> None:
    broken = copy.deepcopy(load_yaml(COMPOSE_FILE))
    worker = broken["services"]["forewarn-1"]
    if breakage == "unknown_key":
        worker["healthcheck"]["intervall"] = "5s"
    elif breakage == "bad_depends_condition":
        worker["depends_on"]["topic-init"]["condition"] = "service_finished"
    else:
        worker["ports"] = "6066:6066"
    assert compose_errors(broken), f"the compose schema accepted a file with {breakage}"


def k8s_errors(document: dict[str, Any], version: str) -> list[str]:
    try:
        kubernetes_validate.validate(document, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{'/'.join(map(str, exc.path))}: {exc.message}"]
    return []


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_k8s_manifests_match_the_kubernetes_schemas(version: str) -> None:
    problems = []
    for file, document in k8s_documents():
        kind, name = document["kind"], document["metadata"]["name"]
        problems += [f"{file} {kind}/{name}: {e}" for e in k8s_errors(document, version)]
    assert problems == []


def test_k8s_manifests_cover_what_a_worker_deployment_needs() -> None:
    kinds = {d["kind"] for _, d in k8s_documents()}
    assert {"Namespace", "ConfigMap", "Secret", "StatefulSet", "Service",
            "PodDisruptionBudget", "Job"} <= kinds


@pytest.mark.parametrize("breakage", ["typo", "wrong_type", "missing_required"])
def test_k8s_schema_rejects_a_broken_copy(breakage: str) -> None:
    statefulset = next(d for _, d in k8s_documents() if d["kind"] == "StatefulSet")
    broken = copy.deepcopy(statefulset)
    pod = broken["spec"]["template"]["spec"]
    if breakage == "typo":
        pod["containers"][0]["readinessProbe"]["httpGett"] = {"path": "/readyz"}
    elif breakage == "wrong_type":
        broken["spec"]["replicas"] = "two"
    else:
        del pod["containers"][0]["name"]
    assert k8s_errors(broken, K8S_VERSIONS[-1]), (
        f"the schema accepted a StatefulSet with {breakage}")


def test_kustomization_lists_every_manifest_and_only_those() -> None:
    kustomization = load_yaml(K8S / "kustomization.yaml")
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["kind"] == "Kustomization"
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk
    # Every resource lands in the namespace the manifests create.
    namespace = next(d for _, d in k8s_documents() if d["kind"] == "Namespace")
    assert kustomization["namespace"] == namespace["metadata"]["name"]
    # The image name the workload uses is the one kustomize rewrites.
    images = {i["name"] for i in kustomization["images"]}
    statefulset = next(d for _, d in k8s_documents() if d["kind"] == "StatefulSet")
    pod = statefulset["spec"]["template"]["spec"]
    used = {c["image"] for c in pod["containers"] + pod.get("initContainers", [])}
    assert used <= images
