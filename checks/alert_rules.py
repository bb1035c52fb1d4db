"""`alert_rules`: the Prometheus configuration and alert rules pass promtool (check config,
check rules, and the rule unit tests), and every alert the runbook relies on exists by name."""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from gonogo.context import CheckContext
from gonogo.errors import InputError
from gonogo.registry import check_kind

from .static import (
    Finding,
    StaticCheck,
    checklist_folder,
    fail_on,
    load_yaml,
    read_text,
    resolve,
)

PROMTOOL_TIMEOUT_S = 60.0
# promtool's own findings: "rules.yml: 8:15: group "g", rule 1, "Name": could not parse ..."
_LOCATED = re.compile(r"^\s*(?P<file>[^\s:][^:]*): (?P<line>\d+):\d+: (?P<message>.*)$")
# promtool test rules: "    name: <test name>," then "    alertname: X, time: 5s, "
_TEST_NAME = re.compile(r"^\s*name: (?P<name>.*),\s*$")
_TEST_ALERT = re.compile(r"^\s*alertname: (?P<alert>[^,]*), time: (?P<time>[^,]*),")


class AlertRulesCheck(StaticCheck):
    """Prometheus config and rule files as promtool sees them, before they are deployed."""

    config: str | None = Field(
        None, description="prometheus.yml: `promtool check config` (its rule_files too)."
    )
    rules: list[str] = Field(default_factory=list, description="`promtool check rules` files.")
    tests: list[str] = Field(default_factory=list, description="`promtool test rules` files.")
    required_alerts: list[str] = Field(
        default_factory=list, description="Alert names that must exist in the rule files."
    )
    promtool: str = Field("promtool", description="The promtool command (Debian: prometheus).")


@check_kind("alert_rules", AlertRulesCheck)
def alert_rules_are_sound(spec: AlertRulesCheck, ctx: CheckContext) -> None:
    """promtool accepts the config and the rules, the rule unit tests pass, and every required
    alert is defined."""
    __tracebackhide__ = True
    promtool = _promtool(spec.promtool)
    folder = checklist_folder(ctx)
    for shown in [*([spec.config] if spec.config else []), *spec.rules, *spec.tests]:
        read_text(resolve(ctx, shown), shown)  # a missing file is an error, not a finding
    findings: list[Finding] = []
    if spec.config:
        findings += _promtool_run(promtool, ["check", "config", spec.config], folder, ctx, spec)
    if spec.rules:
        findings += _promtool_run(promtool, ["check", "rules", *spec.rules], folder, ctx, spec)
    if not findings:  # unit tests of rules that do not load would only repeat the same news
        for test in spec.tests:
            findings += _promtool_run(promtool, ["test", "rules", test], folder, ctx, spec)
    findings += _missing_alerts(spec, ctx)
    fail_on(dict.fromkeys(findings))


def _promtool(command: str) -> str:
    found = shutil.which(command)
    if found is None:
        raise InputError(
            f"{command} not found on PATH: install Debian's prometheus package (make sandbox-deps)"
        )
    return found


def _promtool_run(
    promtool: str, args: list[str], folder: Path, ctx: CheckContext, spec: AlertRulesCheck
) -> list[Finding]:
    timeout = ctx.timeout(spec) if spec.timeout_s else PROMTOOL_TIMEOUT_S
    try:
        done = subprocess.run(
            [promtool, *args],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InputError(f"promtool {' '.join(args)}: no answer within {timeout:g} s") from None
    if done.returncode == 0:
        return []
    return list(_parsed(f"promtool {args[0]} {args[1]}", args[-1], done.stdout + done.stderr))


def _parsed(command: str, default_file: str, output: str) -> Iterator[Finding]:
    """promtool's complaints as findings: located ones one by one, failed unit tests by name
    and alert, anything else as one summary."""
    located = [match for line in output.splitlines() if (match := _LOCATED.match(line))]
    for match in located:
        yield Finding(match["file"], int(match["line"]), f"{command}: {match['message']}")
    tests = _failed_tests(output)
    for test in tests:
        yield Finding(default_file, None, f"{command}: {test}")
    if not located and not tests:
        skipped = ("Checking", "Unit Testing", "SUCCESS")
        loose = [line.strip().removeprefix("FAILED:").strip() for line in output.splitlines()]
        summary = " ".join(line for line in loose if line and not line.startswith(skipped))
        yield Finding(default_file, None, f"{command} failed: {_short(summary)}")


def _failed_tests(output: str) -> list[str]:
    """'test "name": alert X at 5s is not as expected' for each failed rule unit test."""
    failed, name = [], ""
    for line in output.splitlines():
        if match := _TEST_NAME.match(line):
            name = match["name"]
        elif match := _TEST_ALERT.match(line):
            failed.append(
                f"test {name!r}: alert {match['alert']} at {match['time']} is not as expected"
            )
    return failed


def _short(text: str, limit: int = 400) -> str:
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _missing_alerts(spec: AlertRulesCheck, ctx: CheckContext) -> list[Finding]:
    if not spec.required_alerts:
        return []
    files = list(dict.fromkeys([*_config_rule_files(spec, ctx), *spec.rules]))
    defined: set[str] = set()
    for shown in files:
        for document in load_yaml(resolve(ctx, shown), shown):
            defined.update(_alert_names(document.data))
    where = ", ".join(files) or "no rule file"
    return [
        Finding(
            files[0] if files else spec.id, None, f"required alert {name} is not defined in {where}"
        )
        for name in spec.required_alerts
        if name not in defined
    ]


def _alert_names(data: object) -> Iterator[str]:
    groups = data.get("groups") if isinstance(data, dict) else None
    for group in groups if isinstance(groups, list) else []:
        rules = group.get("rules") if isinstance(group, dict) else None
        for rule in rules if isinstance(rules, list) else []:
            if isinstance(rule, dict) and "alert" in rule:
                yield str(rule["alert"])


def _config_rule_files(spec: AlertRulesCheck, ctx: CheckContext) -> list[str]:
    """The rule files prometheus.yml names (globs allowed), relative to the checklist."""
    if not spec.config:
        return []
    data = load_yaml(resolve(ctx, spec.config), spec.config)[0].data
    patterns = data.get("rule_files") if isinstance(data, dict) else None
    config_dir = Path(spec.config).parent
    found: list[str] = []
    for pattern in patterns if isinstance(patterns, list) else []:
        relative = config_dir / str(pattern)
        matches = glob.glob(str(relative), root_dir=checklist_folder(ctx))
        found += sorted(matches) or [str(relative)]
    return found
