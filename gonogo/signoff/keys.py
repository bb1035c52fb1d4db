"""Ed25519 key pairs for sign-offs: the private key stays with the signer (mode 0600), the
public key travels inside each signoff.json and can be pinned by whoever verifies."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gonogo.environment import gonogo_home
from gonogo.errors import GonogoError

PRIVATE_MODE = 0o600


class SigningKeyError(GonogoError):
    """A key file that is missing, unreadable or not an Ed25519 key."""


def default_key() -> Path:
    return gonogo_home() / "keys" / "signoff.key"


def public_path(private: Path) -> Path:
    return private.with_name(private.name + ".pub")


def generate(private: Path, *, force: bool = False) -> tuple[Path, Path]:
    """Write a new key pair; never overwrite a key unless told (a lost key is lost trust)."""
    public = public_path(private)
    if private.exists() and not force:
        raise SigningKeyError(f"{private}: a key is already there; pass --force to replace it")
    key = Ed25519PrivateKey.generate()
    private.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    os.chmod(private, PRIVATE_MODE)  # O_CREAT ignores the mode of an existing file
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def load_private(path: Path) -> Ed25519PrivateKey:
    data = _read(path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise SigningKeyError(
            f"{path}: the key is encrypted; gonogo needs an unencrypted key"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise SigningKeyError(
            f"{path}: not a PEM private key (make one with gonogo keygen)"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        kind = type(key).__name__.removeprefix("_").replace("PrivateKey", "")
        raise SigningKeyError(
            f"{path}: not an Ed25519 private key (it is {kind or 'another kind'})"
        )
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    """A trusted public key to pin (its private key file works too)."""
    data = _read(path)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        return load_private(path).public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{path}: not an Ed25519 public key")
    return key


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def encoded_public(key: Ed25519PublicKey) -> str:
    return base64.b64encode(raw_public(key)).decode()


def fingerprint(key: Ed25519PublicKey) -> str:
    return "sha256:" + hashlib.sha256(raw_public(key)).hexdigest()[:32]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SigningKeyError(f"{path}: no such key file (make one with gonogo keygen)") from None
    except IsADirectoryError:
        raise SigningKeyError(f"{path}: a directory, expected a key file") from None
    except OSError as error:
        raise SigningKeyError(f"{path}: cannot read it ({error.strerror})") from None
