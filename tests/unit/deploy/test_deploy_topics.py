"""The topic script (deploy/topics/create-topics.sh) creates exactly the topics the app needs.

The script runs for real (/bin/sh, as in the containers) against a stub kafka-topics.sh that
keeps the topics in a file, once with the compose service's environment and once with the
Kubernetes Job's. What it creates is compared with what the app itself declares when built
from the same settings (topics, table changelogs, Faust's leader topic), so a topic added to
or dropped from forewarn/streams/kafka/app.py fails here until the script follows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.unit.deploy.deploy_files import (
    COMPOSE_CONFIG,
    K8S,
    TOPICS_SCRIPT,
    app_topology,
    compose,
    container,
    env_of,
    k8s,
    k8s_config_toml,
    run_topics_script,
    toml_of,
)

TEST_PASSWORD = "test-only-password"


def compose_env() -> tuple[dict[str, str], dict[str, object]]:
    env = {k: str(v) for k, v in compose()["services"]["topic-init"]["environment"].items()}
    kafka = toml_of(COMPOSE_CONFIG.read_text(encoding="utf-8"))["kafka"]
    return env, kafka


def k8s_env() -> tuple[dict[str, str], dict[str, object]]:
    job = k8s("Job", "forewarn-topics")
    cont = container(job["spec"]["template"]["spec"], "create-topics")
    env = env_of(cont, secret_values={"FOREWARN_KAFKA_SASL_PASSWORD": TEST_PASSWORD})
    kafka = toml_of(k8s_config_toml())["kafka"]
    return env, kafka


DEPLOYMENTS = {"compose": compose_env, "k8s": k8s_env}


@pytest.mark.parametrize("where", DEPLOYMENTS)
def test_the_script_creates_exactly_the_topics_the_app_declares(where: str,
                                                               tmp_path: Path) -> None:
    env, kafka = DEPLOYMENTS[where]()
    # The script is parameterised by the same values as the workers' config.
    assert int(env["PARTITIONS"]) == kafka["partitions"]
    assert env.get("APP_ID", "forewarn") == kafka.get("app_id", "forewarn")
    assert env.get("TOPIC_PREFIX", "") == kafka.get("topic_prefix", "")

    run = run_topics_script(tmp_path, env)
    assert run.returncode == 0, run.stderr
    expected = app_topology(kafka["partitions"], kafka.get("topic_prefix", ""),
                            kafka.get("app_id", "forewarn"))
    created = {name: t["partitions"] for name, t in run.topics.items()}
    assert created == expected.topics
    # Same replication everywhere, as configured for the deployment.
    assert {t["replication"] for t in run.topics.values()} == {int(env["REPLICATION_FACTOR"])}


@pytest.mark.parametrize("where", DEPLOYMENTS)
def test_changelogs_are_compacted_and_nothing_else_is(where: str, tmp_path: Path) -> None:
    env, kafka = DEPLOYMENTS[where]()
    run = run_topics_script(tmp_path, env)
    expected = app_topology(kafka["partitions"], kafka.get("topic_prefix", ""),
                            kafka.get("app_id", "forewarn"))
    compacted = {name for name, t in run.topics.items()
                 if "cleanup.policy=compact" in t["configs"]}
    # A changelog with delete retention would lose table state after a week.
    assert compacted == set(expected.changelogs)


def test_a_topic_with_the_wrong_partition_count_fails_naming_it(tmp_path: Path) -> None:
    env, _ = compose_env()
    run = run_topics_script(tmp_path, env, existing={"impacts": 2})
    assert run.returncode == 1
    assert "topic impacts has 2 partitions, forewarn needs 4" in run.stderr
    # The other topics were still created, so only the named one needs fixing.
    assert "notifications.outbox" in run.topics


def test_the_script_is_idempotent(tmp_path: Path) -> None:
    env, _ = compose_env()
    first = run_topics_script(tmp_path, env)
    second = run_topics_script(tmp_path, env)
    assert first.returncode == second.returncode == 0, second.stderr
    assert second.topics == first.topics


def test_sasl_ssl_settings_reach_the_kafka_cli_and_the_password_file_is_removed(
        tmp_path: Path) -> None:
    env, kafka = k8s_env()
    run = run_topics_script(tmp_path, env)
    assert run.returncode == 0, run.stderr
    configs = {c.get("command_config") for c in run.calls}
    assert len(configs) == 1 and None not in configs, "every call must carry --command-config"
    properties = dict(line.split("=", 1) for line in next(iter(configs)).splitlines())
    assert properties["security.protocol"] == kafka["security_protocol"] == "SASL_SSL"
    assert properties["sasl.mechanism"] == kafka["sasl_mechanism"]
    jaas = properties["sasl.jaas.config"]
    assert jaas.startswith("org.apache.kafka.common.security.scram.ScramLoginModule required")
    assert f'username="{kafka["sasl_username"]}"' in jaas
    assert f'password="{TEST_PASSWORD}"' in jaas
    assert properties["ssl.truststore.type"] == "PEM"
    assert properties["ssl.truststore.location"] == kafka["ssl_cafile"]
    # The file with the password lives only while the script runs.
    path = Path(run.calls[0]["command_config_path"])
    assert not path.exists()


def test_plaintext_passes_no_client_config(tmp_path: Path) -> None:
    env, _ = compose_env()
    run = run_topics_script(tmp_path, env)
    assert all("command_config" not in c for c in run.calls)


def test_sasl_without_a_password_stops_before_touching_the_cluster(tmp_path: Path) -> None:
    env, _ = k8s_env()
    env.pop("FOREWARN_KAFKA_SASL_PASSWORD")
    run = run_topics_script(tmp_path, env)
    assert run.returncode != 0
    assert "FOREWARN_KAFKA_SASL_PASSWORD" in run.stderr
    assert run.calls == []


def test_the_k8s_configmap_carries_the_same_script() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "render_configmap", TOPICS_SCRIPT.with_name("render_configmap.py"))
    assert spec is not None and spec.loader is not None
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    on_disk = (K8S / "topics-configmap.yaml").read_text(encoding="utf-8")
    script = TOPICS_SCRIPT.read_text(encoding="utf-8")
    hint = "run: python3 deploy/topics/render_configmap.py"
    assert on_disk == render.render(script), hint
    assert yaml.safe_load(on_disk)["data"]["create-topics.sh"] == script, hint


def test_compose_and_the_job_mount_the_script_where_they_run_it() -> None:
    init = compose()["services"]["topic-init"]
    assert "./topics/create-topics.sh:/scripts/create-topics.sh:ro" in init["volumes"]
    assert init["entrypoint"] == ["/bin/sh", "/scripts/create-topics.sh"]
    job = k8s("Job", "forewarn-topics")
    pod = job["spec"]["template"]["spec"]
    cont = container(pod, "create-topics")
    assert cont["command"] == ["/bin/sh", "/scripts/create-topics.sh"]
    mount = next(m for m in cont["volumeMounts"] if m["mountPath"] == "/scripts")
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    assert volume["configMap"]["name"] == "forewarn-topics-script"
    # Both use the Kafka image of the compose broker, whose CLI the script calls.
    assert init["image"] == cont["image"] == compose()["services"]["kafka"]["image"]
