"""Sign-off without a sandbox: a results folder as a run leaves it, signed, verified, tampered
with, and every kind of bad input answered in one sentence with a non-zero exit."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gonogo.results import LOCK
from gonogo.signoff.verify import verify
from tests.commands import gonogo, gonogo_in_process

BAD_INPUT = 4


def _verdict(decision: str) -> dict[str, object]:
    failed = {
        "id": "smoke-llama-solo",
        "kind": "smoke",
        "severity": "blocker",
        "stages": ["postdeploy"],
        "outcome": "failed",
        "message": "smoke-llama-solo: got 500 after 1 s",
    }
    passed = {**failed, "id": "models-listed", "outcome": "passed", "message": ""}
    return {
        "decision": decision,
        "reason": "blocker failed: smoke-llama-solo" if decision == "NO-GO" else "1 check passed",
        "targets": [{"name": "edge", "environment": "staging", "base_url": "http://gw"}],
        "stage": "postdeploy",
        "checklist_sha256": {"checklist.yaml": "ab" * 32},
        "gateway_version": "1.2.3",
        "gonogo_version": "0.1.0",
        "checks": [passed, failed] if decision == "NO-GO" else [passed],
    }


def _results(folder: Path, decision: str = "NO-GO") -> Path:
    (folder / "allure-results").mkdir(parents=True)
    (folder / "allure-results" / "a-result.json").write_text('{"status": "failed"}')
    (folder / "junit.xml").write_text("<testsuites/>")
    (folder / "verdict.json").write_text(json.dumps(_verdict(decision)))
    return folder


@pytest.fixture
def key(tmp_path: Path) -> Path:
    out = tmp_path / "keys" / "me.key"
    made = gonogo_in_process("keygen", "--out", str(out))
    assert made.returncode == 0, made.stderr
    return out


def _sign(results: Path, key: Path, *extra: str):
    return gonogo_in_process(
        "signoff", "--by", "Ada", "--role", "release manager", "--key", str(key), "--no-report",
        *extra, str(results),
    )  # fmt: skip


def _one_sentence(done, *words: str) -> None:
    assert done.returncode == BAD_INPUT, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    for word in words:
        assert word in done.stderr


def test_keygen_private_key_is_private_and_never_overwritten(key: Path) -> None:
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.with_name("me.key.pub").exists()
    # A real process, as a user's: the sentence is all of stderr (no warning, no traceback).
    _one_sentence(gonogo("keygen", "--out", str(key)), "already there")


def test_signing_a_no_go_keeps_it_a_no_go(tmp_path: Path, key: Path) -> None:
    results = _results(tmp_path / "run")
    signed = _sign(results, key, "--note", "known outage")
    assert signed.returncode == 1  # the verdict, not a failure to sign
    assert "NO-GO signed by Ada (release manager): the signature records the NO-GO" in signed.stdout
    document = json.loads((results / "signoff.json").read_text())
    assert document["verdict"] == "NO-GO"
    assert document["failed"][0]["id"] == "smoke-llama-solo"
    assert set(document["manifest"]) == {
        "verdict.json",
        "junit.xml",
        "allure-results/a-result.json",
    }
    markdown = (results / "signoff.md").read_text()
    for words in ("# Sign-off: NO-GO", "smoke-llama-solo", "1.2.3", "known outage", "ab" * 32):
        assert words in markdown
    assert verify(results).ok


def test_signing_a_go_exits_zero_and_verifies_against_the_trusted_key(
    tmp_path: Path, key: Path
) -> None:
    results = _results(tmp_path / "run", "GO")
    assert _sign(results, key).returncode == 0
    pinned = gonogo_in_process(
        "verify-signoff", "--key", str(key.with_name("me.key.pub")), str(results)
    )
    assert pinned.returncode == 0, pinned.stdout
    other = tmp_path / "other.key"
    gonogo_in_process("keygen", "--out", str(other))
    wrong = gonogo_in_process(
        "verify-signoff", "--key", str(other.with_name("other.key.pub")), str(results)
    )
    assert wrong.returncode == 1
    assert "not by the trusted key" in wrong.stdout


def test_the_markdown_and_a_missing_file_are_named(tmp_path: Path, key: Path) -> None:
    results = _results(tmp_path / "run")
    _sign(results, key)
    (results / "signoff.md").write_text("# Sign-off: GO\n")
    (results / "junit.xml").unlink()
    assert verify(results).problems == [
        "junit.xml: missing (the manifest lists it)",
        "signoff.md: does not match signoff.json (changed after signing)",
    ]


def test_missing_and_foreign_folders(tmp_path: Path, key: Path) -> None:
    _one_sentence(_sign(tmp_path / "nowhere", key), "no such results folder")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "report.xml").write_text("<x/>")
    _one_sentence(_sign(foreign, key), "not a gonogo results folder")
    (foreign / "verdict.json").write_text('{"verdict": "pass"}')
    _one_sentence(_sign(foreign, key), "not a gonogo verdict")
    _one_sentence(gonogo_in_process("verify-signoff", str(foreign)), "not signed")


def test_a_run_in_progress_is_not_signed(tmp_path: Path, key: Path) -> None:
    running = _results(tmp_path / "running")
    (running / LOCK).write_text(f"{os.getpid()}\n")  # this test's process: alive
    _one_sentence(_sign(running, key), "is still writing these results")
    (running / LOCK).write_text("999999999\n")
    _one_sentence(_sign(running, key), "stopped before it finished")
    early = tmp_path / "early"
    (early / "allure-results").mkdir(parents=True)
    _one_sentence(_sign(early, key), "in progress or stopped early")
    assert not (running / "signoff.json").exists()


def test_keys_that_are_not_ed25519(tmp_path: Path) -> None:
    results = _results(tmp_path / "run")
    rsa_key = tmp_path / "rsa.pem"
    rsa_key.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    _one_sentence(_sign(results, rsa_key), "not an Ed25519 private key (it is RSA)")
    garbage = tmp_path / "garbage.key"
    garbage.write_text("hello")
    _one_sentence(_sign(results, garbage), "not a PEM private key")
    _one_sentence(_sign(results, tmp_path / "absent.key"), "no such key file")
    assert not (results / "signoff.json").exists()


def test_a_corrupted_signoff_is_one_sentence(tmp_path: Path, key: Path) -> None:
    results = _results(tmp_path / "run")
    _sign(results, key)
    signoff = results / "signoff.json"
    text = signoff.read_text()
    signoff.write_text(text[: len(text) // 2])
    _one_sentence(gonogo_in_process("verify-signoff", str(results)), "corrupted: not valid JSON")
    document = json.loads(text)
    del document["signature"]
    signoff.write_text(json.dumps(document))
    _one_sentence(gonogo_in_process("verify-signoff", str(results)), "field 'signature' is missing")
    document["signature"] = "!!"
    signoff.write_text(json.dumps(document))
    said = gonogo_in_process("verify-signoff", str(results))
    assert said.returncode == 1
    assert "not a valid Ed25519 value" in said.stdout


def test_a_dry_run_is_no_verdict_and_is_not_signed(tmp_path: Path, key: Path) -> None:
    results = _results(tmp_path / "run", "DRY-RUN")
    _one_sentence(_sign(results, key), "a dry run checked nothing")
    assert not (results / "signoff.json").exists()
