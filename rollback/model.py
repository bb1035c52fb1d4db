"""What a rollback drill says: which files make the deployment's configuration, the bad change
to deploy, the post-deploy checks that must catch it, and how to restart the gateway."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field, model_validator

from gonogo.checklist import Checklist, CheckSpec, Stage, Strict
from gonogo.checklist.model import Problem, unknown_name


class BadChange(Strict):
    """A text replacement that breaks the configuration (the deploy that must be undone)."""

    file: str = Field(description="One of `files`.")
    find: str = Field(min_length=1, description="Text that must be in the file.")
    replace_with: str


class RollbackDrill(CheckSpec):
    """Back up, deploy a bad change, let the checks detect it, roll back, prove recovery."""

    stages: list[Stage] = Field(default_factory=lambda: [Stage.ROLLBACK], min_length=1)
    sandbox_component: str | None = Field(
        None,
        description="A component of gonogo's sandbox (litellm): `files` are then names in its "
        "rendered config folder, and the restart is the sandbox's own.",
    )
    files: list[str] = Field(min_length=1, description="The configuration files to back up.")
    restart: str | None = Field(None, description="Shell command that restarts the gateway.")
    change: BadChange
    detect_with: list[str] = Field(
        min_length=1, description="Ids of post-deploy checks that must catch the bad change."
    )
    detect_within_s: float = Field(30.0, gt=0)
    recover_within_s: float = Field(90.0, gt=0)

    @model_validator(mode="after")
    def _a_way_to_restart(self) -> RollbackDrill:
        if (self.sandbox_component is None) == (self.restart is None):
            raise ValueError("give exactly one of sandbox_component and restart")
        return self

    def references(self, checklist: Checklist) -> Iterator[Problem]:
        ids = [check.id for check in checklist.checks if check.id != self.id]
        for index, check_id in enumerate(self.detect_with):
            if check_id not in ids:
                yield ("detect_with", index), unknown_name("check", check_id, ids, "checks:")
        if self.change.file not in self.files:
            yield ("change", "file"), unknown_name("file", self.change.file, self.files, "files:")
