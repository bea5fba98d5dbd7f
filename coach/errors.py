"""Errors the pure domain raises for bad input.

    ValueError
     ├── ProfileError   a patient profile breaks PRESCRIPTION.md "Profile (input)"
     ├── RulesError     a rules file (coach/rules/*.toml or an institution's own) is malformed
     └── CohortError    a cohort file for `telecoach evaluate-warnings` is malformed

Each renders as ONE line that names where the problem is, so a CLI can print `str(err)` to stderr
and an HTTP handler can put it in a JSON body as it is.
"""

from __future__ import annotations

from collections.abc import Mapping


class ProfileError(ValueError):
    """`field` is a dotted path (`labs.platelets_10e9_l`, `comorbidities[2]`); `message`: why, in
    English (the API and the CLI say it so). `code` and `values` say the same for a page to word
    in its reader's language (`profile.error.<code>`, filled in with `values`)."""

    def __init__(
        self,
        field: str,
        message: str,
        code: str = "invalid",
        values: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.code = code
        self.values = dict(values or {})

    def __repr__(self) -> str:
        return f"ProfileError(field={self.field!r}, message={self.message!r})"


class RulesError(ValueError):
    """`rule_id` and `field` are None when the problem is the file as a whole (e.g. TOML syntax)."""

    def __init__(
        self, message: str, *, rule_id: str | None = None, field: str | None = None
    ) -> None:
        where = f"rule {rule_id}: " if rule_id else ""
        what = f"field '{field}' " if field else ""
        super().__init__(f"{where}{what}{message}")
        self.rule_id = rule_id
        self.field = field
        self.message = message

    def __repr__(self) -> str:
        return f"RulesError({str(self)!r})"


class CohortError(ValueError):
    """`field` is a path into the cohort file (`patients[3].days[5].resting_hr`); `message`: why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __repr__(self) -> str:
        return f"CohortError(field={self.field!r}, message={self.message!r})"
