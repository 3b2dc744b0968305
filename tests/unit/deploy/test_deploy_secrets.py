"""No real secret in deploy/ or the Dockerfile: only placeholders and references to them.

Secrets reach the workers from the environment: compose interpolates them from deploy/.env
(never committed; .env.example holds placeholders), Kubernetes from a Secret whose values in
the repository are placeholders.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from tests.unit.deploy.deploy_files import (
    COMPOSE_CONFIG,
    DEPLOY,
    DOCKERFILE,
    compose,
    iter_files,
    k8s_config_toml,
    k8s_documents,
    toml_of,
)

PLACEHOLDER = re.compile(r"^REPLACE-ME\b")
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|TOKEN|SECRET|API_KEY|PRIVATE_KEY|CREDENTIAL)",
                         re.IGNORECASE)
# ${NAME:?message}: compose refuses to start while NAME is unset; no default value.
REQUIRED_INTERPOLATION = re.compile(r"^\$\{([A-Z0-9_]+):\?[^}]*\}$")


def test_k8s_secrets_hold_placeholders_only() -> None:
    secrets = [d for _, d in k8s_documents() if d["kind"] == "Secret"]
    assert secrets
    for secret in secrets:
        assert "data" not in secret, "base64 data hides what a value is; use stringData"
        for key, value in secret["stringData"].items():
            assert PLACEHOLDER.match(value), f"{secret['metadata']['name']}.{key}"


def test_env_example_holds_placeholders_only() -> None:
    for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            assert PLACEHOLDER.match(value), key


def test_compose_takes_secrets_from_the_environment_without_defaults() -> None:
    example = {line.partition("=")[0]
               for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines()
               if line and not line.startswith("#")}
    for name, svc in compose()["services"].items():
        for key, value in (svc.get("environment") or {}).items():
            if SECRET_NAME.search(key):
                match = REQUIRED_INTERPOLATION.match(str(value))
                assert match, f"{name}: {key} must be ${{VAR:?...}}, not a literal"
                assert match.group(1) in example, f"{match.group(1)} missing from .env.example"


def test_env_file_is_ignored_by_git() -> None:
    assert ".env" in (DEPLOY / ".gitignore").read_text(encoding="utf-8").split()


def test_config_files_carry_no_tokens_or_credentials() -> None:
    for where, text in (("deploy/config/forewarn.toml", COMPOSE_CONFIG.read_text()),
                        ("k8s forewarn-config", k8s_config_toml())):
        data = toml_of(text)
        assert not data.get("api", {}).get("tokens"), f"{where}: tokens belong in the env"
        assert "sasl_password" not in data.get("kafka", {}), where
        for channel, conf in data.get("channels", {}).items():
            url = conf.get("url", "").replace("{to}", "x")
            assert urlsplit(url).password is None, f"{where}: {channel} URL has a password"


def _scanned_files() -> list[Path]:
    files = [DOCKERFILE]
    for path in iter_files(DEPLOY):
        if path.name == ".env":  # an operator's real values, never committed
            continue
        files.append(path)
    return files


def test_no_secret_literals_in_any_deploy_file() -> None:
    assignment = re.compile(
        r"(?i)\b[\w.-]*(password|passwd|secret|token)[\w.-]*\b\s*[:=]\s*[\"']?([^\s\"',}]+)")
    # Placeholders, interpolations (${X}, $(X), shell "$X"/\"...), booleans, Secret names.
    allowed = re.compile(r"^(REPLACE-ME|\$|\\|\?|true$|false$)")
    secret_names = {d["metadata"]["name"] for _, d in k8s_documents() if d["kind"] == "Secret"}
    problems = []
    for path in _scanned_files():
        text = path.read_text(encoding="utf-8")
        if re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", text):
            problems.append(f"{path}: private key")
        if re.search(r"\bAKIA[0-9A-Z]{16}\b", text):
            problems.append(f"{path}: AWS access key")
        for number, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith("#"):
                continue
            for match in assignment.finditer(line):
                value = match.group(2)
                if not allowed.match(value) and value not in secret_names:
                    problems.append(f"{path.relative_to(DEPLOY.parent)}:{number}: {stripped}")
    assert problems == []
