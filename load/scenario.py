"""The `load` check kind: one scenario of the checklist run by Locust, gated on its thresholds."""

from __future__ import annotations

import json
import os
from pathlib import Path

from gonogo.context import CheckContext
from gonogo.errors import TargetError, ThresholdBreach
from gonogo.registry import check_kind, checklist_section

from .progress import LiveLine, progress_line, workers_option
from .results import RunFigures, read_figures
from .runner import (
    REPORT_ALLOWANCE_S,
    LocustError,
    LocustRun,
    Outcome,
    locust_commands,
    locust_config,
    run_locust,
)
from .spec import LoadScenario, LoadSettings, Thresholds, settings_of

checklist_section("load", LoadSettings)

# Locust's own exit codes for a run that went to its end: 1 means some request failed, which
# the thresholds judge; anything else means Locust itself went wrong.
RAN_TO_THE_END = (0, 1)


@check_kind("load", LoadScenario, disruptive=True)
def scenario_holds(spec: LoadScenario, ctx: CheckContext) -> None:
    """The scenario's load runs for its duration and every threshold holds."""
    __tracebackhide__ = True
    settings = settings_of(ctx.checklist)
    run = LocustRun(_fresh(ctx.artifacts()))
    if settings.warmup:
        _warm_up(spec, ctx)
    outcome = _run(spec, settings, ctx, run)
    if outcome.exit_code not in RAN_TO_THE_END or not run.stats_json.exists():
        raise LocustError(
            f"load {spec.id}: Locust exited with code {outcome.exit_code} without its results; "
            f"see its log {run.log}"
        )
    figures = read_figures(run.stats_json)
    _keep_artifacts(spec, ctx, run, figures)
    _measure(spec.thresholds, figures, ctx)
    subject = f"load {spec.id}"
    if outcome.aborted:
        subject += f" (aborted after {outcome.progress.get('elapsed_s', 0):g} s: {outcome.aborted})"
    ctx.judge(subject)
    if outcome.aborted:  # the bound lost live may sit on a bucket's edge in the final figures
        raise ThresholdBreach(subject)


def _run(spec: LoadScenario, settings: LoadSettings, ctx: CheckContext, run: LocustRun) -> Outcome:
    base_url = ctx.target.base_url
    if not base_url:
        raise TargetError(f"load {spec.id}: the checklist gives no gateway URL (target.base_url)")
    config = locust_config(
        spec, settings, base_url, {**ctx.target.headers, **spec.headers},
        litellm=ctx.target.kind == "litellm", progress=run.progress, routes=ctx.gateway.routes,
    )  # fmt: skip
    env = {
        **os.environ,
        "GONOGO_LOAD_CONFIG": json.dumps(config),
        "GONOGO_LOAD_API_KEY": ctx.secret(ctx.target.api_key_env) or "",
    }
    workers = workers_option()
    workers = settings.workers if workers is None else workers
    bound = spec.duration_s + settings.stop_timeout_s + settings.start_timeout_s
    line = LiveLine()

    def show(figures: dict[str, object], _: float) -> None:
        elapsed = figures.get("elapsed_s", 0.0)
        left = spec.duration_s - (elapsed if isinstance(elapsed, float | int) else 0.0)
        line.show(progress_line(spec.id, figures, max(0.0, left)))

    try:
        return run_locust(
            locust_commands(spec, settings, run, workers), env, run,
            bound + REPORT_ALLOWANCE_S, show,
        )  # fmt: skip
    finally:
        line.done()


def _warm_up(spec: LoadScenario, ctx: CheckContext) -> None:
    """Untimed requests; how they went is for the load itself to find out."""
    share = spec.mix.streaming
    modes = ([False] if share < 1 else []) + ([True] if share > 0 else [])
    for entry in spec.mix.models:
        for stream in modes:
            ctx.gateway.chat(
                entry.model, spec.mix.prompts[0], stream=stream, max_tokens=spec.mix.max_tokens,
                headers={**spec.headers}, timeout_s=ctx.timeout(spec),
            )  # fmt: skip


def _fresh(folder: Path) -> Path:
    """No file of an earlier run may pass for this one's."""
    for old in folder.iterdir():
        if old.is_file():
            old.unlink()
    return folder


def _measure(thresholds: Thresholds, figures: RunFigures, ctx: CheckContext) -> None:
    """Latency and throughput of the successful (and cut-off) requests; the error rate always
    has a bound, and a scenario without one success has proven nothing."""

    def seconds(ms: float | None) -> float | None:
        return None if ms is None else ms / 1000

    ctx.measure("successful requests", figures.successes, at_least=1)
    latency = figures.latency_ms
    bounds = [
        ("p50 latency", seconds(latency.p50), thresholds.p50_latency_s, None, "s"),
        ("p95 latency", seconds(latency.p95), thresholds.p95_latency_s, None, "s"),
        ("p99 latency", seconds(latency.p99), thresholds.p99_latency_s, None, "s"),
        ("TTFT p95", seconds(figures.ttft_ms.p95), thresholds.ttft_p95_s, None, "s"),
        ("successful requests/s", figures.requests_per_s, None,
         thresholds.min_requests_per_s, "req/s"),
        ("output tokens/s", figures.output_tokens_per_s, None,
         thresholds.min_output_tokens_per_s, "tokens/s"),
    ]  # fmt: skip
    for name, observed, at_most, at_least, unit in bounds:
        if at_most is not None or at_least is not None:
            ctx.measure(name, observed, at_most=at_most, at_least=at_least, unit=unit)
    rate = figures.error_rate
    ctx.measure(
        "error rate" if thresholds.error_rate is not None else "error rate (default bound)",
        None if rate is None else rate * 100,
        at_most=thresholds.max_error_rate() * 100, unit="%",
    )  # fmt: skip
    if figures.unfinished:
        ctx.measure("requests cut off by the scenario's end", figures.unfinished)


def _keep_artifacts(
    spec: LoadScenario, ctx: CheckContext, run: LocustRun, figures: RunFigures
) -> None:
    summary = run.folder / "summary.json"
    summary.write_text(json.dumps(figures.summary(), indent=2), encoding="utf-8")
    from .chart import draw_chart  # matplotlib: ~0.5 s of imports, only when drawing

    chart = draw_chart(run.history_csv(), run.folder / "chart.png", f"load {spec.id}")
    files = [
        ("summary (p50/p95/p99)", summary, "application/json"),
        ("Locust report", run.html, "text/html"),
        ("Locust stats", run.prefix.with_name("locust_stats.csv"), "text/csv"),
        ("Locust stats history", run.history_csv(), "text/csv"),
        ("Locust stats JSON", run.stats_json, "application/json"),
        ("chart", chart, "image/png"),
    ]
    for name, path, media_type in files:
        if path is not None and path.exists():
            ctx.attach_file(name, path, media_type)
    ctx.attach("Locust log", run.log.read_text(encoding="utf-8", errors="replace")[-20_000:])
