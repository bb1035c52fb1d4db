"""Keep secrets out of everything gonogo writes: messages, reports, logs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MASK = "***"
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|AUTH|CREDENTIAL", re.I)
_PATTERNS = (
    (re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"), rf"\g<1>{MASK}"),
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"), f"sk-{MASK}"),
    (re.compile(r"(://)[^/\s:@]*:[^/\s@]+@"), rf"\g<1>{MASK}@"),  # user:password@ in URLs
    # a value given to a header or field that holds a credential, in headers, JSON, YAML, env
    (
        re.compile(
            r"""(?ix)
            ((?:proxy-authorization|authorization|x-api-key|api[_-]?key|master[_-]?key
               |password|passwd|client[_-]?secret|secret[_-]?key|access[_-]?token|auth[_-]?token)
             ["']?\s*[:=]\s*["']?(?:(?:basic|bearer|token)\s+)?)
            (?!\*\*\*|(?:basic|bearer|token)\s)[^\s"',;}]{4,}
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


def secret_values(env: Mapping[str, str], names: Iterable[str | None]) -> list[str]:
    """The values of the named variables and of every variable whose name sounds secret."""
    wanted = {name for name in names if name}
    return [value for name, value in env.items() if name in wanted or SECRET_NAME.search(name)]
