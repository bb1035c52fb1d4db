"""Keep secrets out of everything gonogo writes: messages, reports, logs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from gonogo.secret_patterns import KEY_SHAPES, PRIVATE_KEY

MASK = "***"
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|AUTH|CREDENTIAL", re.I)
Replacement = str | Callable[[re.Match[str]], str]


def _masked_key(key: re.Match[str]) -> str:
    """A key shown by its first three characters, unless glued to a word before it."""
    glued = key.string[key.start() - 1 : key.start()].isalnum() if key.start() else False
    return key.group() if glued else f"{key.group()[:3]}{MASK}"


# Shaped like a key whatever surrounds it: the secrets check's key formats first.
_KEYS: tuple[tuple[re.Pattern[str], Replacement], ...] = (
    (PRIVATE_KEY, f"{MASK} (a private key)"),
    *((shape, _masked_key) for shape in KEY_SHAPES),
    (re.compile(r"sk-[A-Za-z0-9_\-]{6,}"), _masked_key),  # shorter than a real key, still masked
    (_BEARER := re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"), rf"\g<1>{MASK}"),
)
_PATTERNS: tuple[tuple[re.Pattern[str], Replacement], ...] = (
    *_KEYS,
    (re.compile(r"(://)[^/\s:@]*:[^/\s@]+@"), rf"\g<1>{MASK}@"),  # user:password@ in URLs
    # a value given to a header or field that holds a credential, in headers, JSON, YAML, env;
    # not the NAME of the variable that holds it (LITELLM_MASTER_KEY, os.environ/REDIS_PASSWORD)
    (
        _ASSIGNED := re.compile(
            r"""(?ix)
            (?=[pPaAxXmMcCsS])  # the names' first letters: skips most places ~5 times faster
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
# The case-blind patterns are the slow ones (~0.5 and ~4 ms on 4 kB): run only on a text holding
# one of their words, which a lower-cased copy tells in microseconds.
_CLUES = {_BEARER: ("bearer",), _ASSIGNED: ("auth", "key", "pass", "secret", "token")}
_SHORTEST = 4  # shorter values would mask ordinary words


class Redactor:
    """Masks known secret values and anything shaped like a key or bearer token."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = {value for value in secrets if value and len(value) >= _SHORTEST}
        self._values = sorted(values, key=len, reverse=True)  # longest first: no partial leaks

    def __call__(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, MASK)
        lowered = text.lower()
        for pattern, replacement in _PATTERNS:
            clues = _CLUES.get(pattern)
            if clues is None or any(clue in lowered for clue in clues):
                text = pattern.sub(replacement, text)
        return text


def looks_like_a_key(text: str) -> bool:
    """True when `text` holds something shaped like a key or a bearer token."""
    return any(pattern.search(text) for pattern, _ in _KEYS)


def secret_values(env: Mapping[str, str], names: Iterable[str | None]) -> list[str]:
    """The values of the named variables and of every variable whose name sounds secret."""
    wanted = {name for name in names if name}
    return [value for name, value in env.items() if name in wanted or SECRET_NAME.search(name)]
