"""What every rule is: an id, a human line (`text`), a source, and its parameters as typed fields.

A rule class declares its parameters as dataclass fields; `param()` adds the bounds or allowed
values the loader checks. `text` is a `str.format` template over the rule's own parameters plus the
few values the engine supplies when it fires (`TEXT_VARS`, e.g. the patient's platelet count), so a
clinic can reword a line and the prescription still shows the numbers that applied.
"""

from __future__ import annotations

import string
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar

LEVELS = ("light", "moderate")  # lightest first: a lower index is the more cautious dose
TIERS = ("self_directed", "supervised", "clinically_supervised")  # least supervision first
# PRESCRIPTION.md's `avoid` values in its order, which is also the order a prescription lists them;
# `loading` stands for `loading:SITE`.
AVOID = (
    "high_impact", "contact", "fall_risk", "loading", "spinal_flexion", "spinal_rotation",
    "valsalva", "resistance_to_failure",
)  # fmt: skip
AVOID_FIXED = tuple(a for a in AVOID if a != "loading")
PRECAUTIONS = (
    "contact_care_team", "supervised", "medical_clearance", "report_muscle_pain",
    "seated_resistance", "balance_near_support", "core_progressed_slowly",
)  # fmt: skip


class RuleFieldError(Exception):
    """A bad value in one field of one rule; the loader adds the rule id."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message


def param(
    *,
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[str, ...] | None = None,
    template: bool = False,
    default: object = MISSING,
) -> Any:
    """A rule parameter; without `default` the rules file must give it."""
    metadata = {"lo": lo, "hi": hi, "choices": choices, "template": template}
    if default is MISSING:
        return field(metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class RuleRef:
    """One line of a prescription's `rules`: which rule shaped it, in words, on what evidence."""

    id: str
    text: str
    source: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "text": self.text, "source": self.source}


def show(value: object) -> str:
    """How a value reads inside a rule's text."""
    if isinstance(value, tuple):
        return ", ".join(show(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    return str(value)


def template_names(template: str) -> list[str]:
    """The placeholders of a template; ValueError if it is not a plain `{name}` template."""
    names = []
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"placeholder {{{name}}} must be a plain {{name}}")
        names.append(name)
    return names


@dataclass(frozen=True, kw_only=True)
class Rule:
    TEXT_VARS: ClassVar[tuple[str, ...]] = ()

    id: str
    text: str = param(template=True)
    source: str

    def check(self) -> None:
        """Consistency between fields; subclasses raise RuleFieldError."""

    def params(self) -> dict[str, str]:
        return {
            f.name: show(getattr(self, f.name))
            for f in fields(self)
            if f.name not in ("id", "source") and not f.metadata.get("template")
        }

    def ref(self, *, template: str | None = None, **values: object) -> RuleRef:
        """This rule as a prescription line, its text filled with parameters and `values`."""
        shown = {name: show(value) for name, value in values.items()}
        text = (template or self.text).format(**self.params(), **shown)
        return RuleRef(self.id, text, self.source)


def require_order(rule: Rule, low: str, high: str) -> None:
    """`low` must not exceed `high` (both integer or float fields of `rule`)."""
    if getattr(rule, low) > getattr(rule, high):
        raise RuleFieldError(high, f"must be >= '{low}' ({getattr(rule, low)})")
