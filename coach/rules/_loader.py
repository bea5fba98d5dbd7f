"""Reading a rules file: TOML tables `[group.name]`, one per rule id, checked field by field.

The rule classes' type hints and `param()` metadata are the schema, so a new parameter is checked
the moment it is declared. Every failure is a RulesError naming the rule and the field.
"""

from __future__ import annotations

import functools
import tomllib
import types
from dataclasses import MISSING, fields
from importlib import resources
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from coach.errors import RulesError
from coach.rules._ruleset import RuleSet, rule_id
from coach.rules._schema import Rule, RuleFieldError, template_names

_KINDS = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
_PLURALS = {bool: "true/false values", int: "integers", float: "numbers", str: "strings"}


@functools.cache
def _expected() -> dict[str, tuple[str, type[Rule], dict[str, Any]]]:
    """rule id -> (RuleSet attribute, rule class, the class's resolved type hints). The same for
    as long as the process runs; resolving the hints was half the cost of reading a rules file
    (every app reads one, and the tests build thousands of apps)."""
    hints = get_type_hints(RuleSet)
    return {
        rule_id(f.name): (f.name, hints[f.name], get_type_hints(hints[f.name]))
        for f in fields(RuleSet)
    }


def load_rules(path: Path | None = None) -> RuleSet:
    """The default rules (coach/rules/default.toml) or an institution's own complete rules file."""
    if path is None:
        text = resources.files("coach.rules").joinpath("default.toml").read_text(encoding="utf-8")
        return parse_rules(text, origin="default.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"cannot read rules file {path}: {exc}") from exc
    return parse_rules(text, origin=str(path))


@functools.lru_cache(maxsize=16)
def parse_rules(text: str, origin: str = "<rules>") -> RuleSet:
    """The rules a text holds. The same text gives the same (immutable) RuleSet: every app reads
    its rules file, and the tests build thousands of apps (13 ms each, the half of building one
    that was left). A refused text is checked again each time, as errors are not kept."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"rules file {origin}: invalid TOML: {exc}") from exc
    expected = _expected()
    found: dict[str, Any] = {}
    for group, table in data.items():
        if not isinstance(table, dict):
            raise RulesError(
                f"rules file {origin}: '{group}' must be a table of [{group}.name] rules"
            )
        for name, body in table.items():
            rid = f"{group}.{name}"
            if rid not in expected:
                raise RulesError(f"unknown rule id (known: {', '.join(expected)})", rule_id=rid)
            if not isinstance(body, dict):
                raise RulesError("must be a table of fields", rule_id=rid)
            _, cls, hints = expected[rid]
            found[rid] = _build(cls, hints, rid, body)
    for rid in expected:
        if rid not in found:
            raise RulesError(f"missing from rules file {origin}", rule_id=rid)
    return RuleSet(**{attribute: found[rid] for rid, (attribute, _, _) in expected.items()})


def _build(cls: type[Rule], hints: dict[str, Any], rid: str, body: dict[str, Any]) -> Rule:
    declared = {f.name: f for f in fields(cls) if f.name != "id"}
    for key in body:
        if key not in declared:
            known = ", ".join(declared)
            message = f"is not a field of this rule (known: {known})"
            raise RulesError(message, rule_id=rid, field=key)
    values: dict[str, Any] = {"id": rid}
    for name, f in declared.items():
        if name not in body:
            if f.default is MISSING:
                raise RulesError("is required", rule_id=rid, field=name)
            continue
        try:
            values[name] = _coerce(hints[name], body[name], f.metadata)
        except RuleFieldError as exc:
            raise RulesError(exc.message, rule_id=rid, field=name) from None
    rule = cls(**values)
    try:
        rule.check()
    except RuleFieldError as exc:
        raise RulesError(exc.message, rule_id=rid, field=exc.field_name) from None
    _check_templates(rule)
    return rule


def _check_templates(rule: Rule) -> None:
    allowed = set(rule.params()) | set(rule.TEXT_VARS)
    for f in fields(rule):
        if not f.metadata.get("template"):
            continue
        try:
            names = template_names(getattr(rule, f.name))
        except ValueError as exc:
            message = f"is not a valid text template: {exc}"
            raise RulesError(message, rule_id=rule.id, field=f.name) from None
        for name in names:
            if name not in allowed:
                raise RulesError(
                    f"uses unknown placeholder {{{name}}} (allowed: {', '.join(sorted(allowed))})",
                    rule_id=rule.id,
                    field=f.name,
                )


def _coerce(hint: Any, value: object, meta: Any) -> object:
    """Check `value` against a field's type and metadata; TOML has no null, so `X | None` is X."""
    if get_origin(hint) in (Union, types.UnionType):
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
    if get_origin(hint) is tuple:
        item_hint = get_args(hint)[0]
        if not isinstance(value, list):
            raise RuleFieldError("", f"must be a list of {_PLURALS[item_hint]}")
        items = []
        for index, item in enumerate(value):
            try:
                items.append(_scalar(item_hint, item, meta))
            except RuleFieldError as exc:
                raise RuleFieldError("", f"item {index} {exc.message}") from None
        return tuple(items)
    return _scalar(hint, value, meta)


def _scalar(hint: type, value: object, meta: Any) -> object:
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, int | float) and not isinstance(value, bool),
        str: isinstance(value, str),
    }[hint]
    if not ok:
        raise RuleFieldError("", f"must be {_KINDS[hint]}")
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise RuleFieldError("", f"must be one of {', '.join(choices)}; got {value!r}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if lo is not None and value < lo:
            raise RuleFieldError("", f"must be >= {lo}, got {value}")
        if hi is not None and value > hi:
            raise RuleFieldError("", f"must be <= {hi}, got {value}")
    return value
