"""docker-compose.yml and deploy/kubernetes/ parse, hang together, and set only settings the bot
knows (bot/core/settings.py), with values it accepts; the Dockerfile agrees with them.

No Docker or Kubernetes here: the files are read with PyYAML and checked against the code, as
tests/project/test_docs_match_code.py does for .env.example. The image itself is built and run by
deploy/image-test.sh.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bot.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "kubernetes"
SETTINGS = {name.upper() for name in Settings.model_fields}
SECRETS = {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DATABASE_URL"}
# The bot drains work in flight for up to 20 s on SIGTERM (Runtime.stop), then closes up.
BOT_DRAIN_SECONDS = 20


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"{path.name}: not KEY=value: {line!r}"
            values[key.strip()] = value.strip()
    return values


def accepted(values: dict[str, str]) -> Settings:
    """The bot's own validation of these values. The tokens are stand-ins: the examples' own
    are placeholders, which the bot refuses on purpose (tests/core/test_settings.py)."""
    base = {"slack_bot_token": "xoxb-1", "slack_signing_secret": "s"}
    given = {k.lower(): v for k, v in values.items() if v != ""}
    return Settings(_env_file=None, **(given | base))  # type: ignore[call-arg]


def interpolate(text: str, variables: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:?message} and ${VAR:-default}, enough for our file."""

    def value(match: re.Match[str]) -> str:
        name, _, default = match.group(1).partition(":-")
        name = name.split(":?")[0]
        return variables.get(name, default)

    return re.sub(r"\$\{([^}]+)\}", value, text)


def compose_vars(text: str) -> set[str]:
    return {re.split(r":[?-]", v)[0] for v in re.findall(r"\$\{([^}]+)\}", text)}


# --- docker compose ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose_text() -> str:
    return (ROOT / "docker-compose.yml").read_text()


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict[str, Any]:
    return yaml.safe_load(interpolate(compose_text, {"POSTGRES_PASSWORD": "pw"}))


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_compose_runs_the_bot_on_postgresql_16_once_it_is_healthy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"bot", "db"}
    db, bot = services["db"], services["bot"]
    assert db["image"] in ("postgres:16", "docker.io/library/postgres:16")
    assert bot["build"] in (".", {"context": "."})
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    port = environment(bot).get("PORT", "3000")
    assert f"http://127.0.0.1:{port}/healthz" in " ".join(bot["healthcheck"]["test"])
    assert any(str(p).endswith(f":{port}") for p in bot["ports"])
    # A named volume keeps the database across `docker compose down` / up.
    volume, _, target = db["volumes"][0].partition(":")
    assert volume in compose["volumes"] and target == "/var/lib/postgresql/data"
    # SIGTERM drains: compose waits longer than the bot's drain before it kills.
    assert int(str(bot["stop_grace_period"]).rstrip("s")) > BOT_DRAIN_SECONDS


def test_compose_settings_come_from_env_and_are_the_bots(compose: dict[str, Any]) -> None:
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    env_file = bot["env_file"]
    assert ".env" in ([env_file] if isinstance(env_file, str) else env_file)
    env = environment(bot)
    assert set(env) <= SETTINGS, set(env) - SETTINGS
    settings = accepted(env)
    url = urlsplit(settings.database_url)
    assert url.scheme == "postgresql+asyncpg"
    assert url.hostname == "db" and url.port == 5432
    db_env = environment(db)
    assert url.username == db_env["POSTGRES_USER"]
    assert url.password == db_env["POSTGRES_PASSWORD"] == "pw"
    assert url.path == "/" + db_env["POSTGRES_DB"]


def test_compose_variables_are_documented_in_env_example(compose_text: str) -> None:
    env_example = (ROOT / ".env.example").read_text()
    for name in compose_vars(compose_text):
        assert re.search(rf"^#? ?{name}=", env_example, re.M), name


# --- Kubernetes ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kustomization() -> dict[str, Any]:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text())


@pytest.fixture(scope="module")
def objects(kustomization: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name in kustomization["resources"]:
        for doc in yaml.safe_load_all((K8S / name).read_text()):
            assert doc["kind"] not in found, doc["kind"]
            found[doc["kind"]] = doc
    assert set(found) == {"Deployment", "Service", "PodDisruptionBudget"}
    return found


def generated(kustomization: dict[str, Any], kind: str) -> tuple[str, dict[str, str]]:
    (generator,) = kustomization[kind]
    (env_name,) = generator["envs"]
    path = K8S / env_name
    if kind == "secretGenerator":  # the real one is not committed; its example is
        assert env_name in (ROOT / ".gitignore").read_text()
        path = K8S / (env_name + ".example")
    return generator["name"], read_env_file(path)


def container(objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (bot,) = objects["Deployment"]["spec"]["template"]["spec"]["containers"]
    return bot


def test_kubernetes_settings_are_the_bots_and_secrets_stay_secret(
    kustomization: dict[str, Any], objects: dict[str, dict[str, Any]]
) -> None:
    config_name, config = generated(kustomization, "configMapGenerator")
    secret_name, secret = generated(kustomization, "secretGenerator")
    assert set(config) <= SETTINGS, set(config) - SETTINGS
    assert set(secret) <= SETTINGS, set(secret) - SETTINGS
    assert not set(config) & SECRETS, "tokens and DATABASE_URL belong in the Secret"
    assert {"SLACK_BOT_TOKEN", "DATABASE_URL"} <= set(secret)
    settings = accepted(config | secret)
    # Two replicas share one database: PostgreSQL, never SQLite (one process's file).
    assert settings.database_url.startswith("postgresql+asyncpg://")

    bot = container(objects)
    assert [e["configMapRef"]["name"] for e in bot["envFrom"]] == [config_name]
    names = [e["name"] for e in bot["env"]]
    assert set(names) <= SETTINGS and len(names) == len(set(names))
    for entry in bot["env"]:
        assert "value" not in entry, f"{entry['name']}: set it in config.env or secret.env"
        ref = entry["valueFrom"]["secretKeyRef"]
        assert ref["name"] == secret_name and ref["key"] in secret
        assert entry["name"] == ref["key"]
        assert ref.get("optional", False) == (
            entry["name"] in ("SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")
        )
    assert set(names) == set(secret) == SECRETS


def test_kubernetes_deployment_is_two_hardened_replicas_probed_on_healthz(
    kustomization: dict[str, Any], objects: dict[str, dict[str, Any]]
) -> None:
    deployment = objects["Deployment"]
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    user = re.search(r"^USER (\d+)", dockerfile, re.M)
    assert user, "the Dockerfile's USER must be numeric (runAsNonRoot checks it)"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == int(user.group(1)) == 10001

    bot = container(objects)
    security = bot["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    mounts = {m["mountPath"]: m["name"] for m in bot["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]], "a read-only root needs a writable /tmp"

    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(bot["resources"][kind]), kind

    _, config = generated(kustomization, "configMapGenerator")
    (port,) = bot["ports"]
    assert port["containerPort"] == int(config["PORT"])
    assert re.search(rf"^EXPOSE {port['containerPort']}$", dockerfile, re.M)
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = bot[probe]["httpGet"]
        assert get["path"] == "/healthz" and get["port"] == port["name"], probe
    # Liveness gives up later than readiness: a database outage takes replicas out of the
    # Service at once but does not restart them in a loop.
    live, ready = bot["livenessProbe"], bot["readinessProbe"]
    assert (
        live["periodSeconds"] * live["failureThreshold"]
        > ready["periodSeconds"] * ready["failureThreshold"]
    )

    pre_stop = bot["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert pod["terminationGracePeriodSeconds"] > int(pre_stop[1]) + BOT_DRAIN_SECONDS


def test_kubernetes_service_and_disruption_budget_select_the_pods(
    objects: dict[str, dict[str, Any]],
) -> None:
    deployment = objects["Deployment"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service = objects["Service"]
    assert service["spec"]["selector"].items() <= labels.items()
    port_names = {p["name"] for p in container(objects)["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
    pdb = objects["PodDisruptionBudget"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert 0 < pdb["spec"]["minAvailable"] < deployment["spec"]["replicas"]


def test_the_docs_say_how_to_run_them() -> None:
    page = (ROOT / "docs" / "operations.md").read_text()
    for needle in (
        "docker compose up",
        "kubectl apply -k deploy/kubernetes",
        "secret.env",
        "10001",
        "advisory lock",
    ):
        assert needle in page, needle
