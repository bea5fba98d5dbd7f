"""The scheduler's input errors as the API's 422 (the one handler knows web and coach errors)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from scheduler.errors import ScheduleInputError
from web.errors import Invalid


@contextmanager
def as_invalid() -> Iterator[None]:
    try:
        yield
    except ScheduleInputError as exc:
        raise Invalid(str(exc), field=exc.field) from exc
