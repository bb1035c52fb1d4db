"""`gonogo signoff`, `gonogo keygen`, `gonogo verify-signoff`.

Exit codes: signoff 0 when the signed verdict is GO or GO WITH CAVEATS, 1 when it is a NO-GO
(signed all the same, so `gonogo signoff && deploy` never deploys a NO-GO); a dry run's folder
is refused (4): a plan is no verdict. verify-signoff 0 when
everything matches, 1 naming each mismatch; 4 for bad input (missing or foreign folder, run in
progress, a key that is not Ed25519, a corrupted signoff.json), in one sentence.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from gonogo.errors import GonogoError
from gonogo.reporting import build_report
from gonogo.results import finished_run, latest_run

T = TypeVar("T")
OK, MISMATCH, BAD_INPUT = 0, 1, 4
SIGNED_PASS = ("GO", "GO WITH CAVEATS")  # any other verdict, signed, still exits 1
RESULTS = click.argument("results", required=False, type=click.Path(path_type=Path))


def _or_exit(action: Callable[[], T]) -> T:
    try:
        return action()
    except GonogoError as problem:
        click.echo(f"gonogo: {problem}", err=True)
        sys.exit(BAD_INPUT)


def _results_or_latest(results: Path | None) -> Path:
    chosen = results or latest_run()
    if chosen is None:
        click.echo("gonogo: no results folder given and no run under .gonogo/runs", err=True)
        sys.exit(BAD_INPUT)
    return chosen


@click.command()
@click.option("--by", "name", required=True, help="Who signs (a person's name).")
@click.option("--role", required=True, help="In what role (release manager, SRE on call...).")
@click.option(
    "--key", type=click.Path(path_type=Path), help="Ed25519 private key (default: gonogo keygen's)."
)
@click.option("--note", default="", help="A sentence for the record.")
@click.option("--no-report", is_flag=True, help="Do not rebuild the HTML report.")
@RESULTS
def signoff(
    name: str, role: str, key: Path | None, note: str, no_report: bool, results: Path | None
) -> None:
    """Sign a finished run's verdict: signoff.json and signoff.md in RESULTS (default: the
    latest run). A NO-GO can be signed; it stays a NO-GO (exit 1)."""
    from gonogo.signoff import document, keys  # cryptography: for these commands alone

    folder = _results_or_latest(results)
    run = _or_exit(lambda: finished_run(folder))
    if run.verdict["decision"] == "DRY-RUN":
        click.echo(f"gonogo: {folder}: a dry run checked nothing: no verdict to sign", err=True)
        sys.exit(BAD_INPUT)
    private = _or_exit(lambda: keys.load_private(key or keys.default_key()))
    signer = document.Signer(name.strip(), role.strip(), note.strip())
    if not signer.name or not signer.role:
        click.echo("gonogo: --by and --role must name someone and their role", err=True)
        sys.exit(BAD_INPUT)
    signed = document.build(run, signer, private)
    as_json, as_md = document.write(folder, signed)
    click.echo(f"{document.statement(signed)}")
    click.echo(f"sign-off: {as_json} and {as_md} ({len(signed['manifest'])} files in the manifest)")
    if not no_report:
        build_report(folder)
    sys.exit(OK if signed["verdict"] in SIGNED_PASS else MISMATCH)


@click.command()
@click.option(
    "--out", type=click.Path(path_type=Path), help="Private key file (default under GONOGO_HOME)."
)
@click.option("--force", is_flag=True, help="Replace an existing key.")
def keygen(out: Path | None, force: bool) -> None:
    """Make an Ed25519 key pair for sign-offs: FILE (mode 0600) and FILE.pub."""
    from gonogo.signoff import keys

    private, public = _or_exit(lambda: keys.generate(out or keys.default_key(), force=force))
    fingerprint = keys.fingerprint(keys.load_public(public))
    click.echo(f"private key: {private} (mode 0600, keep it to yourself)")
    click.echo(f"public key:  {public} ({fingerprint}; give it to whoever verifies)")


@click.command("verify-signoff")
@click.option(
    "--key", type=click.Path(path_type=Path), help="The public key you trust (pins the signer)."
)
@click.argument("results", type=click.Path(path_type=Path))
def verify_signoff(key: Path | None, results: Path) -> None:
    """Check RESULTS' sign-off: signature, every field, every file of the manifest, and files
    added since. Exit 0 if all match, 1 naming each mismatch."""
    from gonogo.signoff import document, keys
    from gonogo.signoff.verify import verify

    trusted = _or_exit(lambda: keys.load_public(key)) if key else None
    check = _or_exit(lambda: verify(results, trusted))
    for problem in check.problems:
        click.echo(f"MISMATCH {problem}")
    if not check.ok:
        click.echo(f"gonogo: the sign-off of {results} does not hold", err=True)
        sys.exit(MISMATCH)
    signed = check.document
    click.echo(f"OK: {document.statement(signed)} at {signed.get('signed_at')}")
    click.echo(f"{check.files} files match the manifest; key {signed.get('key_fingerprint')}")
    if key is None:
        click.echo("(pass --key PUBLIC_KEY to check the signer's key is the one you trust)")


COMMANDS = (signoff, keygen, verify_signoff)
