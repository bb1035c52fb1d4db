"""The two kinds of bad news, kept apart all the way to the verdict and the report.

Errors (broken): our misuse or a target we cannot reach. Failures: a target that answered but is
out of spec. Failures are AssertionErrors, so pytest and Allure count them as "failed"; errors are
not, and the plugin raises them while setting a check up, so pytest, JUnit and Allure count them
as "error" / "broken" whichever phase they happen in.
"""


class GonogoError(Exception):
    """Base of everything gonogo raises on purpose; its message is meant for a person."""


class ChecklistError(GonogoError):
    """The checklist (or a command line) is wrong: exit code 4, one line, no traceback."""


class TargetError(GonogoError):
    """A component of the target could not be reached at all (refused, DNS, no route)."""


class SandboxError(GonogoError):
    """The embedded sandbox could not start or stop; the message names the component and log."""


class CheckCrashed(GonogoError):
    """A check kind raised something unexpected: a bug in gonogo or in the kind, not the target."""


class CheckFailure(AssertionError):
    """The target answered, but not as the checklist expects.

    The message is the whole story, e.g. "expected 200 from GET /health/readiness within 2 s,
    got 503 after 0.4 s"; pytest shows it without a traceback.
    """


class InputError(GonogoError):
    """A file a check reads (a config, a state file, a repository) is missing or unreadable:
    one sentence naming the file, an error of the check rather than a failure of the target."""


class ThresholdBreach(CheckFailure):
    """A measurement is outside its bound: "p95 latency 2.4 s, expected <= 2 s"."""


class Inconclusive(CheckFailure):
    """There was no data to judge by (an empty query, no requests made). Never a pass: the
    checklist maps it to a failure (the default) or to a caveat, per check."""
