"""The sandbox deployment: which servers, on which ports, with which rendered configuration.

Configuration templates (package data, see gonogo/resources.py) have ${NAME} placeholders; they are
rendered into the state dir at every `up`. Secrets reach LiteLLM only through its environment
and Redis only through a 0600 config file, never a command line that `ps` would show.
"""

import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gonogo.control.files import write_private_file
from gonogo.errors import SandboxError
from gonogo.redaction import Redactor
from gonogo.resources import (
    LITELLM_BIN_ENV,
    PORTKEY_SCRIPT_ENV,
    litellm_binary,
    portkey_script,
    sandbox_template_dir,
)
from gonogo.sandbox.ports import LOOPBACK, pick_free_ports
from gonogo.sandbox.readiness import (
    PROBE_TIMEOUT_S,
    GatewayWarmUp,
    HttpProbe,
    ReadinessProbe,
    RedisProbe,
)
from gonogo.sandbox.state import SandboxLayout

TEMPLATE_DIR = sandbox_template_dir()
PORTKEY_CONFIG = "portkey.json"  # one Portkey config per model group, keyed by group name
PORTKEY_LOOPBACK = "portkey-loopback.cjs"
PROVIDERS = ("alpha", "beta", "gamma")
# The upstream model each fake serves; sandbox/litellm.yaml names the same ones.
PROVIDER_MODELS = {
    "alpha": "gpt-primary-alpha",
    "beta": "gpt-backup-beta",
    "gamma": "llama-solo-gamma",
}
# The gateways the sandbox can put in front of the fakes (`sandbox up --gateway`).
GATEWAYS = ("litellm", "portkey")
DEFAULT_GATEWAY = "litellm"
# The gateway's address, whichever it is; GONOGO_GATEWAY_KIND tells which (a public contract).
GATEWAY_KIND_VARIABLE = "GONOGO_GATEWAY_KIND"
PORTKEY_CONFIG_VARIABLE = "GONOGO_PORTKEY_CONFIG"


def component_names(gateway: str = DEFAULT_GATEWAY) -> tuple[str, ...]:
    """The gateway first: LiteLLM is the slowest by far (~6-12 s), the rest ready within ~1 s."""
    return (gateway, "redis", *PROVIDERS, "prometheus", "alertmanager")


COMPONENTS = component_names()
# Optional: a second LiteLLM from a config of the caller's (`up --candidate`), on the same
# providers, Redis and Prometheus, for canary comparisons with the gateway.
CANDIDATE = "candidate"
CANDIDATE_CONFIG = "candidate.yaml"
CANDIDATE_URL_VARIABLE = "GONOGO_CANDIDATE_URL"
READY_WITHIN_S = {"litellm": 60.0, "portkey": 30.0, CANDIDATE: 60.0}
DEFAULT_READY_WITHIN_S = 20.0
# Python and Node servers burn a full core while starting (LiteLLM ~11 s, a fake ~0.7 s without
# .pyc files). Starting more of them than there are cores at once slows the gateway down.
CPU_HEAVY_STARTS = {*GATEWAYS, CANDIDATE, *PROVIDERS}

_PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
# Variables of the caller that would point a component somewhere else or leak a secret into it.
_INHERITED_VARIABLES_DROPPED = re.compile(
    r"^(LITELLM_.*|GONOGO_.*|REDIS_.*|DATABASE_URL|PROMETHEUS_MULTIPROC_DIR)$"
)


@dataclass(frozen=True)
class Secrets:
    """Generated afresh at every `up`; the repr never shows them."""

    master_key: str
    redis_password: str

    @classmethod
    def generate(cls) -> "Secrets":
        return cls(f"sk-{secrets.token_urlsafe(24)}", secrets.token_urlsafe(24))

    def __repr__(self) -> str:
        return "Secrets(<hidden>)"

    def redact(self, text: str) -> str:
        return Redactor([self.master_key, self.redis_password])(text)


@dataclass(frozen=True)
class ComponentSpec:
    """How to start one server and how to tell that it serves."""

    name: str
    command: list[str]
    env: dict[str, str] = field(repr=False)  # may hold secrets
    port: int
    url: str
    probe: ReadinessProbe
    ready_within_s: float
    cpu_heavy_start: bool
    warm_up: GatewayWarmUp | None = None  # run once it is ready, the other components too


def allocate_ports(gateway: str = DEFAULT_GATEWAY, candidate: bool = False) -> dict[str, int]:
    names = (*component_names(gateway), *([CANDIDATE] if candidate else []))
    return dict(zip(names, pick_free_ports(len(names)), strict=True))


def gateway_of(components: Iterable[str]) -> str:
    """Which gateway a set of components (ports, records) has."""
    return next((name for name in components if name in GATEWAYS), DEFAULT_GATEWAY)


def component_url(name: str, port: int) -> str:
    scheme_and_suffix = ("redis", "/0") if name == "redis" else ("http", "")
    return f"{scheme_and_suffix[0]}://{LOOPBACK}:{port}{scheme_and_suffix[1]}"


def sandbox_env(
    layout: SandboxLayout, ports: Mapping[str, int], secrets_: Secrets
) -> dict[str, str]:
    """The values a checklist needs to reach the sandbox (the keys are a public contract)."""
    gateway = gateway_of(ports)
    env = {
        GATEWAY_KIND_VARIABLE: gateway,
        "GONOGO_GATEWAY_URL": component_url(gateway, ports[gateway]),
        "GONOGO_API_KEY": secrets_.master_key,
        "GONOGO_PROMETHEUS_URL": component_url("prometheus", ports["prometheus"]),
        "GONOGO_ALERTMANAGER_URL": component_url("alertmanager", ports["alertmanager"]),
        "GONOGO_REDIS_URL": component_url("redis", ports["redis"]),
        "GONOGO_REDIS_PASSWORD": secrets_.redis_password,
    }
    for provider in PROVIDERS:
        env[f"GONOGO_PROVIDER_{provider.upper()}_URL"] = component_url(provider, ports[provider])
    if gateway == "portkey":
        env[PORTKEY_CONFIG_VARIABLE] = str(layout.config_dir / PORTKEY_CONFIG)
    if CANDIDATE in ports:
        env[CANDIDATE_URL_VARIABLE] = component_url(CANDIDATE, ports[CANDIDATE])
    return env


def render_template(text: str, values: Mapping[str, str], source: str) -> str:
    """Replace ${NAME} (and nothing else: alert rules use {{ $labels.x }} themselves)."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise SandboxError(f"sandbox: {source} uses ${{{match.group(1)}}}, an unknown name")
        return values[match.group(1)]

    return _PLACEHOLDER.sub(substitute, text)


def _template_values(layout: SandboxLayout, ports: Mapping[str, int]) -> dict[str, str]:
    values = {
        "GATEWAY_ADDRESS": f"{LOOPBACK}:{ports[gateway_of(ports)]}",
        "ALERTMANAGER_ADDRESS": f"{LOOPBACK}:{ports['alertmanager']}",
        "REDIS_PORT": str(ports["redis"]),
        "REDIS_DATA_DIR": str(layout.data_dir / "redis"),
    }
    for provider in PROVIDERS:
        values[f"{provider.upper()}_ADDRESS"] = f"{LOOPBACK}:{ports[provider]}"
        values[f"{provider.upper()}_URL"] = component_url(provider, ports[provider])
    return values


def render_configs(
    layout: SandboxLayout,
    ports: Mapping[str, int],
    secrets_: Secrets,
    candidate: Path | None = None,
) -> None:
    """Render every template into state_dir/config/ and create empty data dirs; `candidate`
    is a LiteLLM config template of the caller's, rendered with the same values."""
    shutil.rmtree(layout.data_dir, ignore_errors=True)  # every `up` starts a fresh deployment
    for name in ("prometheus", "alertmanager", "redis"):
        (layout.data_dir / name).mkdir(parents=True)
    layout.config_dir.mkdir(parents=True, exist_ok=True)
    values = _template_values(layout, ports)
    templates = ("litellm.yaml", PORTKEY_CONFIG, "prometheus.yml", "alert-rules.yml")
    for template in (*templates, "alertmanager.yml"):
        text = (TEMPLATE_DIR / template).read_text()
        (layout.config_dir / template).write_text(render_template(text, values, template))
    redis_values = {**values, "REDIS_PASSWORD": secrets_.redis_password}
    redis_conf = render_template(
        (TEMPLATE_DIR / "redis.conf").read_text(), redis_values, "redis.conf"
    )
    write_private_file(layout.config_dir / "redis.conf", redis_conf)
    if candidate is not None:
        _render_candidate(layout, values, ports, candidate)


def _render_candidate(
    layout: SandboxLayout, values: Mapping[str, str], ports: Mapping[str, int], template: Path
) -> None:
    try:
        text = template.read_text()
    except OSError as error:
        raise SandboxError(
            f"sandbox: cannot read the candidate config {template}: {error}"
        ) from None
    rendered = render_template(text, values, str(template))
    (layout.config_dir / CANDIDATE_CONFIG).write_text(rendered)
    scrape = (
        f"\n  - job_name: {CANDIDATE}\n    metrics_path: /metrics/\n    static_configs:\n"
        f'      - targets: ["{LOOPBACK}:{ports[CANDIDATE]}"]\n'
    )
    with (layout.config_dir / "prometheus.yml").open("a") as prometheus:
        prometheus.write(scrape)


def find_binaries(gateway: str = DEFAULT_GATEWAY) -> dict[str, str]:
    """Every executable the sandbox runs, checked before anything starts."""
    found = {gateway: portkey_gateway() if gateway == "portkey" else _litellm()}
    wanted = {
        "redis": ("redis-server",),
        "prometheus": ("prometheus",),
        "alertmanager": ("prometheus-alertmanager", "alertmanager"),
    }
    for name, candidates in wanted.items():
        path = next((p for p in map(shutil.which, candidates) if p), None)
        if path is None:
            looked_for = ", ".join(candidates)
            raise SandboxError(f"sandbox: {name} not found on PATH (looked for {looked_for})")
        found[name] = path
    return found


def _litellm() -> str:
    litellm = litellm_binary()
    if not os.access(litellm, os.X_OK):
        raise SandboxError(
            f"sandbox: litellm not found at {litellm} (set {LITELLM_BIN_ENV} to the LiteLLM "
            f"proxy, put `litellm` on PATH, or run `make sandbox-deps` in a checkout)"
        )
    return litellm


def portkey_gateway() -> str:
    """Portkey's start-server.js: run by Debian's node, so both must be there."""
    script = portkey_script()
    if shutil.which("node") is None or not os.path.isfile(script):
        raise SandboxError(
            f"sandbox: the Portkey gateway needs `node` on PATH and {script} (set "
            f"{PORTKEY_SCRIPT_ENV} to its start-server.js, or run `make sandbox-deps`)"
        )
    return script


def portkey_command(script: str, port: int) -> list[str]:
    """Portkey has no host option and listens on every interface: the preload binds it to
    loopback. NODE_ENV=production and --headless leave out its web UI."""
    preload = str(TEMPLATE_DIR / PORTKEY_LOOPBACK)
    return ["node", "--require", preload, script, f"--port={port}", "--headless"]


def base_env() -> dict[str, str]:
    """The caller's environment minus what could redirect or leak, loopback never proxied."""
    env = {k: v for k, v in os.environ.items() if not _INHERITED_VARIABLES_DROPPED.match(k)}
    for key in ("NO_PROXY", "no_proxy"):
        env[key] = ",".join(filter(None, [env.get(key, ""), LOOPBACK, "localhost"]))
    return env


def litellm_env(secrets_: Secrets) -> dict[str, str]:
    return {
        **base_env(),
        "LITELLM_MASTER_KEY": secrets_.master_key,
        "REDIS_PASSWORD": secrets_.redis_password,
        "FAKE_PROVIDER_API_KEY": "fake-key",  # the fakes take any key; the config names none
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # else it fetches the cost map from the internet
        "LITELLM_DONT_SHOW_FEEDBACK_BOX": "true",  # keeps the log tail in errors useful
        # Retry back-off sized for fakes answering in milliseconds (defaults: 0.5 s and 0.75 s).
        "INITIAL_RETRY_DELAY": "0.1",
        "JITTER": "0.1",
        # How long LiteLLM keeps its cache out of a Redis that failed (its circuit breaker;
        # default 60 s): the Redis drill measures it whatever it is, a sandbox need not wait
        # a minute for it. Longer than a drill's outage (~4 s), so that the breaker is still
        # open when Redis is back and there is a recovery to measure; each failed half-open
        # probe (a stale pooled connection) adds as much again.
        "REDIS_CIRCUIT_BREAKER_RECOVERY_TIMEOUT": "8",
        # LiteLLM 1.106.2 has segfaulted here in libpython under load (4 times in ~15 runs of
        # the test suite, dmesg): each thread's Python stack then lands in its log.
        "PYTHONFAULTHANDLER": "1",
    }


def litellm_command(binary: str, config: Path, port: int) -> list[str]:
    return [binary, "--config", str(config), "--host", LOOPBACK, "--port", str(port)]


def build_specs(
    layout: SandboxLayout, ports: Mapping[str, int], secrets_: Secrets
) -> list[ComponentSpec]:
    """Specs in start order; configs must already be rendered."""
    gateway = gateway_of(ports)
    binaries = find_binaries(gateway)
    config = layout.config_dir
    commands = {
        gateway: (
            portkey_command(binaries[gateway], ports[gateway])
            if gateway == "portkey"
            else litellm_command(binaries[gateway], config / "litellm.yaml", ports[gateway])
        ),
        "redis": [binaries["redis"], str(config / "redis.conf")],
        "prometheus": [
            binaries["prometheus"],
            f"--config.file={config / 'prometheus.yml'}",
            f"--storage.tsdb.path={layout.data_dir / 'prometheus'}",
            f"--web.listen-address={LOOPBACK}:{ports['prometheus']}",
            "--web.enable-lifecycle",
            # Its first alerts go out before it has found Alertmanager and are dropped; they are
            # sent again only after this delay (default 1m, measured: Watchdog delivered after
            # 63 s; with 1s, 1.3 s). The monitoring check proves delivery with them.
            "--rules.alert.resend-delay=1s",
        ],
        "alertmanager": [
            binaries["alertmanager"],
            f"--config.file={config / 'alertmanager.yml'}",
            f"--storage.path={layout.data_dir / 'alertmanager'}",
            f"--web.listen-address={LOOPBACK}:{ports['alertmanager']}",
            "--cluster.listen-address=",  # empty: no gossip port on 0.0.0.0:9094
        ],
    }
    for provider in PROVIDERS:
        commands[provider] = _fake_provider_command(provider, ports[provider])
    names = list(component_names(gateway))
    litellm_configs = {"litellm": config / "litellm.yaml"} if gateway == "litellm" else {}
    if CANDIDATE in ports:
        litellm_configs[CANDIDATE] = config / CANDIDATE_CONFIG
        commands[CANDIDATE] = litellm_command(
            _litellm(), litellm_configs[CANDIDATE], ports[CANDIDATE]
        )
        names.append(CANDIDATE)  # once a core is free: two LiteLLMs at once slow both
    return [
        _spec(name, commands[name], ports[name], secrets_, litellm_configs.get(name))
        for name in names
    ]


def _first_model(config: Path) -> str:
    """The first model group of a rendered LiteLLM config: the one its warm-up asks."""
    import yaml

    model_list = yaml.safe_load(config.read_text()).get("model_list") or [{}]
    return str(model_list[0].get("model_name", ""))


def _fake_provider_command(provider: str, port: int) -> list[str]:
    module = "gonogo.sandbox.fake_provider"  # its __main__.py
    models = PROVIDER_MODELS[provider]
    return [
        sys.executable,
        "-m",
        module,
        "--name",
        provider,
        "--port",
        str(port),
        "--models",
        models,
        # Real providers answer in varying time: ~20 ms give or take 30 %, so that identical
        # gateways differ a little, as the canary's false-alarm figure needs.
        "--latency-ms",
        "20",
        "--latency-spread",
        "0.3",
    ]


def _spec(
    name: str, command: list[str], port: int, secrets_: Secrets, litellm_config: Path | None
) -> ComponentSpec:
    """`litellm_config`: the component is a LiteLLM serving it, warmed up once ready."""
    warm_up = None
    if litellm_config is not None:
        warm_up = GatewayWarmUp(port, _first_model(litellm_config), secrets_.master_key)
    return ComponentSpec(
        name=name,
        command=command,
        env=_env(name, secrets_),
        port=port,
        url=component_url(name, port),
        probe=readiness_probe(name, port, secrets_.redis_password),
        ready_within_s=READY_WITHIN_S.get(name, DEFAULT_READY_WITHIN_S),
        cpu_heavy_start=name in CPU_HEAVY_STARTS,
        warm_up=warm_up,
    )


def _env(name: str, secrets_: Secrets) -> dict[str, str]:
    if name in ("litellm", CANDIDATE):
        return litellm_env(secrets_)
    return {**base_env(), "NODE_ENV": "production"} if name == "portkey" else base_env()


def readiness_probe(
    name: str, port: int, redis_password: str, timeout_s: float = PROBE_TIMEOUT_S
) -> ReadinessProbe:
    if name == "redis":
        return RedisProbe(port, redis_password, timeout_s)
    paths = {
        "litellm": "/health/readiness",
        "portkey": "/",  # "AI Gateway says hey!"
        CANDIDATE: "/health/readiness",
        "prometheus": "/-/ready",
        "alertmanager": "/-/ready",
    }
    return HttpProbe(port, paths.get(name, "/health"), timeout_s)
