"""`gonogo report [RESULTS] [--serve]`: build the run's one-file HTML report, or serve it."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import click

from gonogo import registry
from gonogo.errors import GonogoError
from gonogo.results import REPORT_DIR, latest_run

BAD_INPUT = 4


@registry.command
@click.command()
@click.option("--serve", is_flag=True, help="Serve the report on 127.0.0.1 until Ctrl-C.")
@click.option("--port", default=0, show_default=True, help="Port to serve on (0: a free one).")
@click.option("--quiet", is_flag=True, help="Print only the report's path.")
@click.argument("results", required=False, type=click.Path(path_type=Path))
def report(serve: bool, port: int, quiet: bool, results: Path | None) -> None:
    """Build RESULTS/report/index.html (default: the latest run): one self-contained page
    that opens from disk, made offline by Allure with analytics off."""
    folder = results or latest_run()
    if folder is None:
        click.echo("gonogo: no results folder given and no run under .gonogo/runs", err=True)
        sys.exit(BAD_INPUT)
    try:
        from .html import build  # the sign-off's cryptography: only to build a report

        built = build(folder)
    except GonogoError as problem:
        click.echo(f"gonogo: report: {problem}", err=True)
        sys.exit(BAD_INPUT)
    if quiet:
        click.echo(str(built.page))
    else:
        how = "offline, in a network namespace" if built.offline else "analytics off"
        click.echo(f"report: {built.page} ({built.seconds:.1f} s, {how})")
    if serve:
        _serve(folder / REPORT_DIR, port)


def _serve(folder: Path, port: int) -> None:
    # http.server pulls email, html and mimetypes: only for --serve, not for every `gonogo`
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per request would bury the address

    handler = functools.partial(QuietHandler, directory=str(folder))
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        click.echo(f"serving http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            click.echo("stopped")
