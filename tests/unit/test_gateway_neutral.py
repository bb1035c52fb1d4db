"""Proofs that do not depend on LiteLLM: one answer to "who served this?", what a target can do
said at load, fallback's `force:`, and faults injected only into gonogo's fakes, undone exactly."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from gonogo.chaos.actions import FAKE_PROVIDER_SERVER, plan_steps
from gonogo.chaos.model import InjectFaults

from gonogo.checklist import Checklist, load_checklist
from gonogo.checklist.model import AdminControl, ModelGroup, Provider, ProviderIdentity, Target
from gonogo.control.undo import apply_undo
from gonogo.errors import ChecklistError, TargetError
from gonogo.identity import who_answered
from gonogo.sandbox.fake_provider import server
from tests.commands import gonogo
from tests.conftest import FakeProvider, StartFakeProvider
from tests.plugin.servers import answer, serving


def _checklist(kind: str = "portkey", base: str = "http://127.0.0.1:1") -> Checklist:
    rule = {name: ProviderIdentity(header="x-fake-provider", matches=f"^{name}$")
            for name in ("alpha", "beta")}  # fmt: skip
    return Checklist(
        version=1,
        target=Target(kind=kind),  # type: ignore[arg-type]
        providers=[
            Provider(name="alpha", base_url=base, identify=rule["alpha"]),
            Provider(name="beta", identify=rule["beta"]),
            Provider(name="gamma"),
        ],
        models=[
            ModelGroup(name="gpt-primary", provider="alpha", fallbacks=["gpt-backup"]),
            ModelGroup(name="gpt-backup", provider="beta"),
            ModelGroup(name="llama-solo", provider="gamma"),
        ],
        checks=[],
    )


def test_who_answered_asks_the_gateway_then_the_providers_rules_then_says_unknown() -> None:
    checklist = _checklist()
    litellm = who_answered({"x-litellm-model-group": "gpt-backup"}, checklist, "gpt-primary", True)
    assert (litellm.group, litellm.identified) == ("gpt-backup", True)
    by_rule = who_answered({"x-fake-provider": "beta"}, checklist, "gpt-primary", False)
    assert (by_rule.group, by_rule.provider) == ("gpt-backup", "beta")
    itself = who_answered({"x-fake-provider": "alpha"}, checklist, "gpt-primary", False)
    assert itself.group == "gpt-primary"
    # A provider outside the asked chain is known, but serves no group of it.
    outside = who_answered({"x-fake-provider": "beta"}, checklist, "llama-solo", False)
    assert (outside.group, outside.provider, outside.identified) == (None, "beta", True)
    # LiteLLM's header is LiteLLM's: another gateway sending it is not taken at its word.
    unknown = who_answered(
        {"x-litellm-model-group": "gpt-primary"}, checklist, "gpt-primary", False
    )
    assert not unknown.identified
    assert unknown.evidence.startswith("who answered is unknown")


BASE = """\
version: 1
target: {{kind: {kind}, base_url: "http://127.0.0.1:1"}}
providers: [{{name: alpha}}, {{name: beta}}]
models: [{{name: a, provider: alpha, fallbacks: [b]}}, {{name: b, provider: beta}}]
checks:
  - {check}
"""


def _load(tmp_path: Path, kind: str, check: str) -> None:
    file = tmp_path / "checklist.yaml"
    file.write_text(BASE.format(kind=kind, check=check))
    load_checklist(file, {})


@pytest.mark.parametrize(
    ("kind", "check", "said"),
    [
        ("portkey", "{id: c, kind: cache, model: a}", "target kind portkey does not support cache"),
        ("openai", "{id: r, kind: auth}", "target kind openai does not support auth"),
        ("portkey", "{id: f, kind: fallback, model: a}", "checks[0].force: say how a portkey"),
    ],
)
def test_what_the_target_cannot_do_is_refused_at_load_in_one_line(
    tmp_path: Path, kind: str, check: str, said: str
) -> None:
    with pytest.raises(ChecklistError) as refused:
        _load(tmp_path, kind, check)
    assert said in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_check_the_target_cannot_run_runs_as_not_supported_when_the_checklist_says_so(
    tmp_path: Path,
) -> None:
    """Nothing listens at the target: a caveat that needs no answer is decided before any probe."""
    _load(tmp_path, "portkey", "{id: c, kind: cache, model: a, unsupported: caveat}")
    file = tmp_path / "checklist.yaml"
    done = gonogo("run", "--checklist", str(file), "--no-report", "--results",
                  str(tmp_path / "run"), home=tmp_path / "home")  # fmt: skip
    assert "GO WITH CAVEATS" in done.stdout, done.stdout + done.stderr
    assert "not supported by this target (portkey lacks cache)" in done.stdout


def test_a_fake_fails_a_request_that_names_it_and_says_who_it_is(
    fake_provider: StartFakeProvider,
) -> None:
    alpha = fake_provider("alpha")
    body = {"model": "fake-alpha", "messages": [{"role": "user", "content": "hi"}]}
    with alpha.client(headers={"authorization": "Bearer fake-key"}) as client:
        failed = client.post(
            "/v1/chat/completions", json=body, headers={"x-gonogo-fail": "beta, alpha"}
        )
        served = client.post("/v1/chat/completions", json=body, headers={"x-gonogo-fail": "beta"})
        said = client.get("/admin/identity").json()
    assert (failed.status_code, served.status_code) == (503, 200)
    assert said == {"server": FAKE_PROVIDER_SERVER, "name": "alpha"}
    assert server.FAKE_PROVIDER_SERVER == FAKE_PROVIDER_SERVER


def _admin_controlled(url: str) -> Checklist:
    """alpha at `url`, driven through its admin endpoint."""
    checklist = _checklist(base=url)
    alpha = checklist.providers[0].model_copy(update={"control": AdminControl(kind="admin")})
    return checklist.model_copy(update={"providers": [alpha, *checklist.providers[1:]]})


def _inject() -> list[InjectFaults]:
    return [InjectFaults(action="inject_faults", provider="alpha", error_rate=1.0)]


def test_injected_faults_are_undone_field_by_field_not_reset(
    fake_provider: StartFakeProvider,
) -> None:
    alpha: FakeProvider = fake_provider("alpha")
    alpha.set_faults(latency_ms=5.0)  # someone else's fault: the undo must leave it
    (step,) = plan_steps(_admin_controlled(alpha.url), _inject(), "drill")  # type: ignore[arg-type]
    step.apply()
    assert alpha.set_faults()["error_rate"] == 1.0
    assert step.undo is not None
    apply_undo(step.undo)
    faults = alpha.set_faults()
    assert (faults["error_rate"], faults["latency_ms"]) == (0.0, 5.0)


async def _not_a_fake(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    await answer(send, 404, b"not found", b"text/plain")


def test_faults_are_refused_to_a_server_that_is_not_one_of_gonogos_fakes() -> None:
    with serving(_not_a_fake) as url:
        with pytest.raises(TargetError) as refused:
            plan_steps(_admin_controlled(url), _inject(), "drill")  # type: ignore[arg-type]
        calls = httpx.get(f"{url}/admin/faults", trust_env=False).status_code
    assert "is not one of gonogo's fake providers" in str(refused.value)
    assert "nothing was changed" in str(refused.value)
    assert calls == 404


NO_USAGE = (
    b'{"id": "c1", "object": "chat.completion", "model": "m", "choices": [{"index": 0, '
    b'"message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]}'
)


async def _answers_without_usage(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    if scope["type"] == "http":
        await answer(send, 200, NO_USAGE, b"application/json")


@pytest.mark.parametrize(("require_usage", "verdict"), [("false", "GO"), ("true", "NO-GO")])
def test_a_smoke_check_can_waive_the_usage_tokens_and_the_report_says_so(
    tmp_path: Path, require_usage: str, verdict: str
) -> None:
    with serving(_answers_without_usage) as url:
        file = tmp_path / "checklist.yaml"
        file.write_text(
            f'version: 1\ntarget: {{kind: openai, base_url: "{url}"}}\nmodels: [{{name: m}}]\n'
            f"checks:\n  - {{id: s, kind: smoke, model: m, modes: [plain], "
            f"require_usage: {require_usage}}}\n"
        )
        done = gonogo("run", "--checklist", str(file), "--no-report", "--results",
                      str(tmp_path / "run"), home=tmp_path / "home")  # fmt: skip
    assert done.stdout.splitlines()[-2].startswith(verdict), done.stdout + done.stderr
    attachments = [p.read_text() for p in (tmp_path / "run" / "allure-results").glob("*.txt")]
    waived = any("require_usage: false" in text for text in attachments)
    assert waived == (require_usage == "false")
    if verdict == "NO-GO":
        assert "no usage tokens reported" in done.stdout
