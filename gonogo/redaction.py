"""Keep secrets out of everything gonogo writes: messages, reports, logs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from gonogo.secret_patterns import KEY_SHAPES, PRIVATE_KEY

MASK = "***"
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|AUTH|CREDENTIAL", re.I)
Replacement = str | Callable[[re.Match[str]], str]
# Shaped like a key whatever surrounds it: the secrets check's key formats first.
_KEYS: tuple[tuple[re.Pattern[str], Replacement], ...] = (
    (PRIVATE_KEY, f"{MASK} (a private key)"),
    (KEY_SHAPES, lambda key: f"{key.group()[:3]}{MASK}"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"), rf"\g<1>{MASK}"),
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"), f"sk-{MASK}"),
)
_PATTERNS: tuple[tuple[re.Pattern[str], Replacement], ...] = (
    *_KEYS,
    (re.compile(r"(://)[^/\s:@]*:[^/\s@]+@"), rf"\g<1>{MASK}@"),  # user:password@ in URLs
    # a value given to a header or field that holds a credential, in headers, JSON, YAML, env;
    # not the NAME of the variable that holds it (LITELLM_MASTER_KEY, os.environ/REDIS_PASSWORD)
    (
        re.compile(
            r"""(?ix)
            ((?:proxy-authorization|authorization|x-api-key|api[_-]?key|master[_-]?key
               |password|passwd|client[_-]?secret|secret[_-]?key|access[_-]?token|auth[_-]?token)
             ["']?\s*[:=]\s*["']?(?:(?:basic|bearer|token)\s+)?)
            (?!\*\*\*|(?:basic|bearer|token)\s
               |(?-i:os\.environ/|[A-Z][A-Z0-9]*_[A-Z0-9_]+(?![A-Za-z0-9_])))
            [^\s"',;}]{4,}
            """
        ),
        rf"\g<1>{MASK}",
    ),
)
_SHORTEST = 4  # shorter values would mask ordinary words


class Redactor:
    """Masks known secret values and anything shaped like a key or bearer token."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = {value for value in secrets if value and len(value) >= _SHORTEST}
        self._values = sorted(values, key=len, reverse=True)  # longest first: no partial leaks

    def __call__(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


def looks_like_a_key(text: str) -> bool:
    """True when `text` holds something shaped like a key or a bearer token."""
    return any(pattern.search(text) for pattern, _ in _KEYS)


def secret_values(env: Mapping[str, str], names: Iterable[str | None]) -> list[str]:
    """The values of the named variables and of every variable whose name sounds secret."""
    wanted = {name for name in names if name}
    return [value for name, value in env.items() if name in wanted or SECRET_NAME.search(name)]
