"""What a secret looks like: detect-secrets' pattern plugins, AI provider key formats, and
high-entropy values assigned to names like *_KEY / *_TOKEN / *_SECRET.

Every detector runs over a whole text at once (one C-level regex scan each), never line by
line in Python: that is what keeps a scan of all history within a few times `git log -p`.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import math
import pkgutil
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

import detect_secrets.plugins
from detect_secrets.plugins.base import RegexBasedDetector

# detect-secrets plugins left out: public IPs are not secrets, and its generic high-entropy
# plugins flag every hash and id; the assignment detector below covers what they are for.
SKIPPED_PLUGINS = {"IPPublicDetector"}
MIN_ENTROPY = 3.0  # bits per character; "sk-xxxxxxxxxxxxxxxxxxxxxxxx" is a placeholder
ASSIGNED_MIN_ENTROPY = 3.5

AI_KEY_FORMATS = {
    "Anthropic API key": r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_\-]{20,}",
    "OpenAI API key": r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}",
    "Google API key": r"\bAIza[0-9A-Za-z_\-]{35}",
    "AWS access key id": r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    "Hugging Face token": r"\bhf_[A-Za-z0-9]{34,}",
    "Groq API key": r"\bgsk_[A-Za-z0-9]{40,}",
    "Private key block": r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
}
# NAME = value, NAME: value, "name": "value" where NAME ends in key, token, secret, password...
ASSIGNED = re.compile(
    r"""(?ix)
    (?P<name>[a-z0-9_.\-]*(?:api[_-]?key|secret[_-]?key|access[_-]?key|private[_-]?key|
        _key|token|secret|password|passwd))
    ["']?[ \t]*(?::=|=>|=|:)[ \t]*(?:[a-z]*\()?["']?
    (?P<value>[A-Za-z0-9+/_\-.=~!@#%^*]{16,})
    """
)
# Values that name a secret rather than hold one.
INDIRECT = re.compile(r"^(os\.environ|\$|env\.|process\.env|<|\{\{|secrets\.|vault:)", re.I)


@dataclass(frozen=True)
class Hit:
    start: int  # offset of the secret in the scanned text
    detector: str
    secret: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.secret)

    @property
    def masked(self) -> str:
        shown = min(4, len(self.secret) // 5)
        return f"{self.secret[:shown]}***"


def fingerprint(secret: str) -> str:
    """How an accepted finding is named in an allowlist: never the secret itself."""
    return hashlib.sha256(f"gonogo-secrets:{secret}".encode()).hexdigest()[:20]


def entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


@cache
def detect_secrets_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(secret type, regex) of every pattern plugin detect-secrets ships."""
    found: list[tuple[str, re.Pattern[str]]] = []
    for module_info in pkgutil.iter_modules(detect_secrets.plugins.__path__):
        module = importlib.import_module(f"detect_secrets.plugins.{module_info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, RegexBasedDetector)
                and cls is not RegexBasedDetector
                and cls.__module__ == module.__name__
                and name not in SKIPPED_PLUGINS
            ):
                found += [(str(cls.secret_type), regex) for regex in cls().denylist]
    return tuple(found)


@cache
def patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    ours = tuple((name, re.compile(regex)) for name, regex in AI_KEY_FORMATS.items())
    return ours + detect_secrets_patterns()


def scan(text: str) -> list[Hit]:
    """Every secret in `text`, at most one per place (the first detector to name it)."""
    hits: dict[int, Hit] = {}
    for detector, regex in patterns():
        for match in regex.finditer(text):
            hit = _hit(match, detector)
            if hit is not None:
                hits.setdefault(hit.start, hit)
    for match in ASSIGNED.finditer(text):
        value = match["value"]
        if not INDIRECT.match(value) and entropy(value) >= ASSIGNED_MIN_ENTROPY:
            name = f"high-entropy value of {match['name']}"
            hits.setdefault(match.start("value"), Hit(match.start("value"), name, value))
    return _without_overlaps(sorted(hits.values(), key=lambda hit: hit.start))


def _without_overlaps(hits: list[Hit]) -> list[Hit]:
    kept: list[Hit] = []
    for hit in hits:
        if kept and hit.start < kept[-1].start + len(kept[-1].secret):
            continue  # the same secret seen by a second detector
        kept.append(hit)
    return kept


def _hit(match: re.Match[str], detector: str) -> Hit | None:
    groups = [i for i in range(1, (match.re.groups or 0) + 1) if match.group(i)]
    index = max(groups, key=lambda i: len(match.group(i)), default=0)
    secret, start = match.group(index).strip(), match.start(index)
    if "\n" in secret:
        return None
    if "rivate" not in detector and entropy(secret) < MIN_ENTROPY:
        return None  # private key blocks are caught by their header, a plain text
    return Hit(start, detector, secret)
