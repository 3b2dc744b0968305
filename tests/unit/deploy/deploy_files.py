"""Helpers for the deploy tests: read the deploy files and ask the code what they must match.

Imported by name from the tests beside it (keep this module name unique in the suite).
Nothing here runs a container: Docker and Kubernetes are not available where the tests run,
so the files are checked against schemas and against the code instead.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE_FILE = DEPLOY / "compose.yaml"
COMPOSE_CONFIG = DEPLOY / "config" / "forewarn.toml"
TOPICS_SCRIPT = DEPLOY / "topics" / "create-topics.sh"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
SAMPLE_REGION = REPO / "forewarn" / "data" / "sample_region"

# [kafka] keys the deploy files use that forewarn.config may not know yet (TLS/SASL settings
# proposed in docs/deploy.md). While KafkaSettings lacks one, the config test strips it.
PROPOSED_KAFKA_KEYS = ("security_protocol", "sasl_mechanism", "sasl_username", "ssl_cafile")


# -- reading files ----------------------------------------------------------------------------

def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@functools.cache
def compose() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(COMPOSE_FILE)
    return data


def worker_services() -> dict[str, dict[str, Any]]:
    """Compose services that run the forewarn image."""
    return {name: svc for name, svc in compose()["services"].items()
            if str(svc.get("image", "")).startswith("forewarn")}


@functools.cache
def k8s_documents() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(file name, document) for every resource listed in kustomization.yaml, in order."""
    out = []
    for name in load_yaml(K8S / "kustomization.yaml")["resources"]:
        for doc in yaml.safe_load_all((K8S / name).read_text(encoding="utf-8")):
            if doc:
                out.append((name, doc))
    return tuple(out)


def k8s(kind: str, name: str) -> dict[str, Any]:
    found = [d for _, d in k8s_documents()
             if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name!r} in deploy/k8s, found {len(found)}"
    return found[0]


def k8s_config_toml() -> str:
    text: str = k8s("ConfigMap", "forewarn-config")["data"]["forewarn.toml"]
    return text


def toml_of(text: str) -> dict[str, Any]:
    return tomllib.loads(text)


def container(pod_spec: dict[str, Any], name: str, init: bool = False) -> dict[str, Any]:
    key = "initContainers" if init else "containers"
    found = [c for c in pod_spec.get(key, []) if c["name"] == name]
    assert len(found) == 1, f"expected one container {name!r} in {key}"
    return found[0]


def env_of(cont: dict[str, Any], secret_values: dict[str, str] | None = None) -> dict[str, str]:
    """A container's environment as the kubelet would build it: plain values, ConfigMap and
    Secret keys from deploy/k8s, fieldRefs for a pod named forewarn-0 in namespace forewarn,
    and $(VAR) references to earlier variables expanded."""
    out: dict[str, str] = {}
    for item in cont.get("env", []):
        if "value" in item:
            value = re.sub(r"\$\((\w+)\)", lambda m: out.get(m.group(1), m.group(0)),
                           str(item["value"]))
        else:
            source = item["valueFrom"]
            if "configMapKeyRef" in source:
                ref = source["configMapKeyRef"]
                value = k8s("ConfigMap", ref["name"])["data"][ref["key"]]
            elif "secretKeyRef" in source:
                ref = source["secretKeyRef"]
                value = (secret_values or {}).get(ref["key"]) or \
                    k8s("Secret", ref["name"])["stringData"][ref["key"]]
            else:
                field = source["fieldRef"]["fieldPath"]
                value = {"metadata.name": "forewarn-0", "metadata.namespace": "forewarn"}[field]
        out[item["name"]] = value
    return out


def args_of(command: list[str], flag: str) -> str:
    """The value after ``flag`` in an argv list."""
    assert flag in command, f"{flag} missing from {command}"
    return command[command.index(flag) + 1]


# -- Dockerfile -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str

    def json_args(self) -> list[str]:
        value: list[str] = json.loads(self.args)
        return value


def dockerfile() -> list[Instruction]:
    """Instructions of the Dockerfile (continuation lines joined, comments dropped)."""
    logical: list[str] = []
    current = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    out = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip()))
    return out


def final_stage() -> list[Instruction]:
    instructions = dockerfile()
    last_from = max(i for i, ins in enumerate(instructions) if ins.keyword == "FROM")
    return instructions[last_from:]


def dockerignore_excludes(path: str) -> bool:
    """Whether the build context leaves ``path`` out (last matching rule wins, as in Docker).

    Supports the patterns .dockerignore uses: ``*``, ``**/x``, ``!dir/`` and plain names.
    """
    import fnmatch

    excluded = False
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        rule = raw.strip()
        if not rule or rule.startswith("#"):
            continue
        negate = rule.startswith("!")
        pattern = rule.lstrip("!").strip("/")
        parts = path.strip("/").split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if pattern.startswith("**/"):
            tail = pattern[3:]
            hit = any(fnmatch.fnmatchcase(p, tail) for p in parts)
        else:
            hit = any(fnmatch.fnmatchcase(p, pattern) for p in prefixes)
        if hit:
            excluded = not negate
    return excluded


# -- the code: CLI flags, web routes, topics and tables ---------------------------------------

@functools.cache
def command_flags(*words: str) -> frozenset[str]:
    """Options of `forewarn <words>`, read from the installed console script's --help."""
    exe = Path(sys.executable).with_name("forewarn")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "forewarn.cli"]
    env = dict(os.environ, COLUMNS="200", TERM="dumb", NO_COLOR="1")
    proc = subprocess.run([*cmd, *words, "--help"], capture_output=True, text=True,
                          timeout=120, env=env, check=True)
    return frozenset(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", proc.stdout))


def worker_flags() -> frozenset[str]:
    """Options of `forewarn worker`."""
    return command_flags("worker")


@dataclass(frozen=True)
class AppTopology:
    """What a worker built from some settings declares: topics, table changelogs, routes."""

    topics: dict[str, int]       # every topic the app needs -> partitions
    changelogs: frozenset[str]   # the subset that holds state: changelogs, journal (compacted)
    routes: frozenset[str]       # paths of the web app
    app_id: str


@functools.cache
def _sample_index() -> Any:
    from forewarn.geo import RegionIndex, load_region

    return RegionIndex.build(load_region(SAMPLE_REGION))


@functools.cache
def app_topology(partitions: int, topic_prefix: str, app_id: str) -> AppTopology:
    """Build the real pipeline (no broker needed) and record what it declares."""
    import faust

    from forewarn.config import Settings
    from forewarn.streams.kafka.app import PipelineOptions, build_pipeline

    settings = Settings.model_validate(
        {"kafka": {"partitions": partitions, "topic_prefix": topic_prefix, "app_id": app_id}})
    declared: dict[str, int] = {}
    compacted: set[str] = set()  # topics that hold state (the network journal)
    original = faust.App.topic

    def recording_topic(self: Any, *topics: str, **kwargs: Any) -> Any:
        for name in topics:
            declared[name] = kwargs.get("partitions") or self.conf.topic_partitions
            if kwargs.get("compacting"):
                compacted.add(name)
        return original(self, *topics, **kwargs)

    async def deliver(notification: Any) -> Any:
        return notification

    with mock.patch.object(faust.App, "topic", recording_topic):
        pipeline = build_pipeline(_sample_index(), PipelineOptions(
            bootstrap="localhost:9092", settings=settings, deliver=deliver, web_port=6066))
    app = pipeline.app
    changelogs = {}
    for table in app.tables.values():
        changelogs[table.changelog_topic.get_topic_name()] = table.partitions or partitions
    topics = {**declared, **changelogs}
    topics[f"{app.conf.id}-__assignor-__leader"] = 1  # Faust's leader election topic
    return AppTopology(topics=topics, changelogs=frozenset(changelogs) | compacted,
                       routes=frozenset(app.web.views), app_id=app.conf.id)


def forewarn_reads_env(name: str) -> bool:
    """Whether the forewarn package mentions the environment variable ``name`` literally
    (or, for ``FOREWARN_CHANNELS_<NAME>_URL``, the prefix its loader matches)."""
    if name.startswith("FOREWARN_CHANNELS_") and name.endswith("_URL"):
        name = "FOREWARN_CHANNELS_"
    for path in (REPO / "forewarn").rglob("*.py"):
        if name in path.read_text(encoding="utf-8"):
            return True
    return False


# -- the topic script, run against a stub kafka-topics.sh ------------------------------------

STUB = r"""#!/bin/sh
# Stub of Kafka's kafka-topics.sh: one file per topic under $STUB_STATE/topics, one record
# per call; answers --describe in Kafka's format. POSIX sh, so each call costs a millisecond.
state="$STUB_STATE"
mkdir -p "$state/topics"
n=$(ls "$state" | grep -c '^call-.*\.args$' || true)
call="$state/call-$(printf '%04d' "$n")"
printf '%s\n' "$@" > "$call.args"
topic='' partitions='' rf='' create='' describe='' ifnot='' configs='' cc=''
while [ $# -gt 0 ]; do
  case "$1" in
    --topic) topic=$2; shift ;;
    --partitions) partitions=$2; shift ;;
    --replication-factor) rf=$2; shift ;;
    --config) configs="$configs$2,"; shift ;;
    --command-config) cc=$2; shift ;;
    --bootstrap-server) shift ;;
    --create) create=1 ;;
    --describe) describe=1 ;;
    --if-not-exists) ifnot=1 ;;
  esac
  shift
done
if [ -n "$cc" ]; then printf '%s' "$cc" > "$call.ccpath"; cp "$cc" "$call.cc"; fi
if [ -n "$create" ]; then
  if [ -e "$state/topics/$topic" ]; then
    [ -n "$ifnot" ] || { echo "Topic '$topic' already exists." >&2; exit 1; }
  else
    printf '%s %s %s\n' "$partitions" "$rf" "$configs" > "$state/topics/$topic"
    echo "Created topic $topic."
  fi
elif [ -n "$describe" ]; then
  for f in "$state/topics"/*; do
    [ -e "$f" ] || continue
    name=${f##*/}
    read -r p r c < "$f"
    fmt='Topic: %s\tTopicId: AAAAAAAAAAAAAAAAAAAAAA\tPartitionCount: %s\t'
    printf "${fmt}ReplicationFactor: %s\tConfigs: %s\n" "$name" "$p" "$r" "$c"
    i=0
    while [ "$i" -lt "$p" ]; do
      printf '\tTopic: %s\tPartition: %s\tLeader: 1\tReplicas: 1\tIsr: 1\n' "$name" "$i"
      i=$((i + 1))
    done
  done
fi
"""


@dataclass
class ScriptRun:
    returncode: int
    stdout: str
    stderr: str
    topics: dict[str, dict[str, Any]]   # name -> partitions, replication, configs
    calls: list[dict[str, Any]]         # args, and command_config(_path) when one was given


def _read_stub_state(state: Path) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    topics: dict[str, dict[str, Any]] = {}
    for path in sorted((state / "topics").glob("*")):
        partitions, replication, *rest = path.read_text().split(" ", 2)
        configs = [c for c in (rest[0].strip() if rest else "").split(",") if c]
        topics[path.name] = {"partitions": int(partitions), "replication": int(replication),
                             "configs": configs}
    calls: list[dict[str, Any]] = []
    for args in sorted(state.glob("call-*.args")):
        call: dict[str, Any] = {"args": args.read_text().splitlines()}
        stem = args.with_suffix("")
        if stem.with_suffix(".cc").exists():
            call["command_config"] = stem.with_suffix(".cc").read_text()
            call["command_config_path"] = stem.with_suffix(".ccpath").read_text()
        calls.append(call)
    return topics, calls


def run_topics_script(tmp: Path, env: dict[str, str],
                      existing: dict[str, int] | None = None) -> ScriptRun:
    """Run deploy/topics/create-topics.sh with /bin/sh against a stub kafka-topics.sh.

    ``existing``: topics already on the "cluster" (name -> partitions) before the first run;
    a later run on the same ``tmp`` sees what earlier runs created.
    """
    bin_dir = tmp / "kafka-bin"
    bin_dir.mkdir(exist_ok=True)
    stub = bin_dir / "kafka-topics.sh"
    stub.write_text(STUB, encoding="utf-8")
    stub.chmod(0o755)
    state = tmp / "stub-state"
    (state / "topics").mkdir(parents=True, exist_ok=True)
    for name, partitions in (existing or {}).items():
        (state / "topics" / name).write_text(f"{partitions} 1 \n")
    for old in state.glob("call-*"):
        old.unlink()
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TMPDIR": str(tmp),
                "STUB_STATE": str(state), "KAFKA_BIN": str(bin_dir), **env}
    proc = subprocess.run(["/bin/sh", str(TOPICS_SCRIPT)], capture_output=True, text=True,
                          env=full_env, timeout=120, check=False)
    topics, calls = _read_stub_state(state)
    return ScriptRun(proc.returncode, proc.stdout, proc.stderr, topics, calls)


def shell_words(text: str) -> list[str]:
    return shlex.split(text)


def iter_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path
