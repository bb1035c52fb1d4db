"""What a secret looks like: detect-secrets' pattern plugins, AI provider key formats, and
high-entropy values assigned to names like *_KEY / *_TOKEN / *_SECRET. The secrets check scans
with all of them; redaction (gonogo.redaction) masks the key formats in everything gonogo writes.

Every detector runs over a whole text at once (one C-level regex scan each), never line by
line in Python: that is what keeps a scan of all history within a few times `git log -p`.
"""

from __future__ import annotations

import bisect
import hashlib
import importlib
import inspect
import math
import pkgutil
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

# detect-secrets plugins left out: public IPs are not secrets, and its generic high-entropy
# plugins flag every hash and id; the assignment detector below covers what they are for.
SKIPPED_PLUGINS = {"IPPublicDetector"}
MIN_ENTROPY = 3.0  # bits per character; "sk-xxxxxxxxxxxxxxxxxxxxxxxx" is a placeholder
# A 20-character AWS key id holds too few characters for 3 bits each to be sure: 0.7 % of random
# ones fall below (a real key in git history then went unseen). Its placeholders stay far below.
SHORT_KEY_MIN_ENTROPY = {"AWS access key id": 2.5, "AWS temporary access key id": 2.5}
ASSIGNED_MIN_ENTROPY = 3.5
MIN_GROUP = 8  # a shorter captured group is a prefix, not the secret

PRIVATE_KEY_HEADER = r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
# Each starts with a literal, so the regex engine skips to it (a leading \b would defeat that:
# the word boundary is checked after the match instead).
AI_KEY_FORMATS = {
    "Anthropic API key": r"sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_\-]{20,}",
    "OpenAI API key": r"sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}",
    "Google API key": r"AIza[0-9A-Za-z_\-]{35}",
    "AWS access key id": r"AKIA[0-9A-Z]{16}(?![0-9A-Z])",
    "AWS temporary access key id": r"ASIA[0-9A-Z]{16}(?![0-9A-Z])",
    "Hugging Face token": r"hf_[A-Za-z0-9]{34,}",
    "Groq API key": r"gsk_[A-Za-z0-9]{40,}",
    "Replicate API token": r"r8_[A-Za-z0-9]{30,}",
    "xAI API key": r"xai-[A-Za-z0-9]{40,}",
    "Perplexity API key": r"pplx-[A-Za-z0-9]{40,}",
    "Private key block": PRIVATE_KEY_HEADER,
}
# Redaction runs on every evidence string: one precompiled regex per key format (not
# detect-secrets, whose import alone costs 0.3-2 s), each led by its literal so the engine skips
# to it (an alternation of them, or a leading lookbehind, is ~100 times slower). A message may
# show a key cut short ("AKIAQ3J7FZ..."), so a format matches from 8 characters after its prefix
# on; a private key is masked from its header to its END line (or the end of the text).
SHORTEST_SHOWN = 8


def _cut_short(regex: str) -> str:
    return re.sub(
        r"\{(\d+)(,\d*)?\}",
        lambda m: f"{{{SHORTEST_SHOWN},}}" if int(m[1]) > SHORTEST_SHOWN else m[0],
        regex,
    )


KEY_SHAPES = tuple(
    re.compile(_cut_short(regex))
    for regex in AI_KEY_FORMATS.values()
    if regex != PRIVATE_KEY_HEADER
)
PRIVATE_KEY = re.compile(
    PRIVATE_KEY_HEADER + r".*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)", re.S
)
# A value assigned to a name ending in key, token, secret or password: the regex starts at the
# keyword, found through a lookahead on its first letter (three times faster than re.I here),
# and the rest of the name is read backwards only for a match.
ASSIGNED = re.compile(
    r"""(?x)
    (?=[kKtTsSpP])(?:[kK][eE][yY]|[tT][oO][kK][eE][nN]|[sS][eE][cC][rR][eE][tT]
        |[pP][aA][sS][sS][wW](?:[oO][rR])?[dD])
    ["']?[ \t]*(?::=|=>|=|:)[ \t]*(?:[a-zA-Z]*\()?["']?
    (?P<value>[A-Za-z0-9+/_\-.=~!@#%^*]{16,})
    """
)
_NAME_BEFORE = re.compile(r"[A-Za-z0-9_.\-]*$")
# KEY=/etc/app/signing.key, ${KEY:-/etc/app/signing.key}, PORTKEY := .portkey/lib/start.js:
# where a key lives (or a name that ends in "key"), not the key.
_FILE_PATH = re.compile(
    r"-?(?:~|\.{1,2})?/[A-Za-z0-9_.@\-/]+|\.[A-Za-z0-9_.@\-]+/[A-Za-z0-9_.@\-/]+"
)
_DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
# Some detect-secrets patterns start with a lookbehind or a class and are tried at every
# position: the slowest scans by far. Each is run only on the lines holding what any of its
# matches must contain (cheap to find): the keyword plugins (Cloudant, IBM, SoftLayer) a value of
# 24 or more such characters, the others a literal part of their format.
_LONG_RUN = re.compile(r"[A-Za-z0-9_\-]{24,}")
PREFILTERS = {
    "Cloudant Credentials": _LONG_RUN,
    "IBM Cloud IAM Key": _LONG_RUN,
    "IBM COS HMAC Credentials": _LONG_RUN,
    "SoftLayer Credentials": _LONG_RUN,
    "Artifactory Credentials": re.compile(r"A(?:KC|P[\dA-F])[a-zA-Z0-9]{8}"),
    "Telegram Bot Token": re.compile(r":[0-9A-Za-z_-]{35}"),
    "Mailchimp Access Key": re.compile(r"-us[0-9]"),
}
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
    # Imported on first scan: it costs ~0.3 s (requests and all), which every gonogo command
    # would pay at plugin load otherwise.
    import detect_secrets.plugins
    from detect_secrets.plugins.base import RegexBasedDetector

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
    excerpts: dict[re.Pattern[str], Excerpt] = {}
    for detector, regex in patterns():
        prefilter = PREFILTERS.get(detector)
        if prefilter is None:
            found = list(_hits(regex, text, detector))
        else:
            if prefilter not in excerpts:
                excerpts[prefilter] = Excerpt.of_lines_matching(prefilter, text)
            excerpt = excerpts[prefilter]
            found = [excerpt.moved(hit) for hit in _hits(regex, excerpt.text, detector)]
        for hit in found:
            hits.setdefault(hit.start, hit)
    for hit in _assigned(text):
        hits.setdefault(hit.start, hit)
    return _without_overlaps(sorted(hits.values(), key=lambda hit: hit.start))


def _hits(regex: re.Pattern[str], text: str, detector: str) -> Iterator[Hit]:
    for match in regex.finditer(text):
        hit = _hit(match, detector)
        if hit is not None:
            yield hit


@dataclass(frozen=True)
class Excerpt:
    """Some lines of a text, joined, and the way back to offsets in the text."""

    text: str
    starts: list[int]  # where each line starts in the excerpt
    origins: list[int]  # where it starts in the original text

    @classmethod
    def of_lines_matching(cls, pattern: re.Pattern[str], text: str) -> Excerpt:
        lines: dict[int, str] = {}
        for match in pattern.finditer(text):
            begin = text.rfind("\n", 0, match.start()) + 1
            if begin not in lines:
                end = text.find("\n", match.end())
                lines[begin] = text[begin : end if end >= 0 else len(text)]
        starts, position = [], 0
        for line in lines.values():
            starts.append(position)
            position += len(line) + 1
        return cls("\n".join(lines.values()), starts, list(lines))

    def moved(self, hit: Hit) -> Hit:
        """The hit, at its offset in the original text."""
        index = bisect.bisect_right(self.starts, hit.start) - 1
        start = self.origins[index] + hit.start - self.starts[index]
        return Hit(start, hit.detector, hit.secret)


def _assigned(text: str) -> Iterator[Hit]:
    for match in ASSIGNED.finditer(text):
        value = match["value"]
        if INDIRECT.match(value) or entropy(value) < ASSIGNED_MIN_ENTROPY or _is_code(match):
            continue
        line_start = text.rfind("\n", 0, match.start()) + 1
        head = _NAME_BEFORE.search(text, line_start, match.start())
        name = (head.group() if head else "") + match.group().split(value)[0]
        name = re.split(r"[\"'\s:=(]", name, maxsplit=1)[0]
        yield Hit(match.start("value"), f"high-entropy value of {name}", value)


def _without_overlaps(hits: list[Hit]) -> list[Hit]:
    kept: list[Hit] = []
    for hit in hits:
        if kept and hit.start < kept[-1].start + len(kept[-1].secret):
            continue  # the same secret seen by a second detector
        kept.append(hit)
    return kept


def _is_code(match: re.Match[str]) -> bool:
    """`key = Ed25519PrivateKey.generate()`, `def f(key: PublicKey) -> str`, `KEY=/etc/k.pem`:
    a call, an attribute, a type in a signature, a file path, not a value."""
    after = match.string[match.end() : match.end() + 2].lstrip(" ")[:1]
    value = match["value"]
    return (
        after in ("(", ")", ",", "[", ".")
        or _DOTTED_NAME.fullmatch(value) is not None
        or _FILE_PATH.fullmatch(value) is not None
    )


def _hit(match: re.Match[str], detector: str) -> Hit | None:
    before = match.string[match.start() - 1 : match.start()]
    if before.isalnum() and match.re.pattern[:1].isalpha():
        return None  # a literal-led format glued to a word: not a key
    groups = [i for i in range(1, (match.re.groups or 0) + 1) if match.group(i)]
    index = max(groups, key=lambda i: len(match.group(i)), default=0)
    if len(match.group(index)) < MIN_GROUP:
        index = 0  # a group that is only the prefix ("ghp"): the secret is the whole match
    secret, start = match.group(index).strip(), match.start(index)
    if "\n" in secret:
        return None
    floor = SHORT_KEY_MIN_ENTROPY.get(detector, MIN_ENTROPY)
    if "rivate" not in detector and entropy(secret) < floor:
        return None  # private key blocks are caught by their header, a plain text
    return Hit(start, detector, secret)
