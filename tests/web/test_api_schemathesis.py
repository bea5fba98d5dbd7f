"""schemathesis against /api/v1/openapi.json, in process: every operation, with data that fits
its schema and data that breaks it, as a coach whose patient, class, occurrence, join link and
device token exist (so calls get past 401 and 404; patients' operations with a patient's session,
/api/v1/hr with a device token); then a stateful run that follows the document's links (create a
patient or a class, then read and change it). Checks: no 5xx, and every answer's status, content
type and body are ones the document declares.

The number of examples per operation is bounded (MAX_EXAMPLES) and derandomized, so a run stays
well under a minute on both engines and a failure in CI reproduces here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import schemathesis

# Loaded here, while collecting, not lazily in the first test's setup: there, on CPython 3.11.7,
# pytest's assertion rewrite of it once failed with "AST constructor recursion depth mismatch"
# after the voice tests had run in the same process (2026-12-07), an interpreter fault.
import schemathesis.specs.openapi.schemas
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.generation.modes import GenerationMode
from schemathesis.python.asgi import ASGIClient
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import Session

from coach import device_tokens, join_links
from coach.clock import Clock
from coach.database import Database
from coach.models import StaffUser
from telecoach.app import create_app
from telecoach.settings import Settings
from tests.conftest import TEST_SECRET, World
from web.auth import api_tokens, sessions
from web.auth.sessions import COOKIE_NAME

MAX_EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
_FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples on every run: CI failures reproduce
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Api:
    session: ASGIClient
    schema: schemathesis.schemas.BaseSchema
    coach_token: str
    device_token: str
    sign_in_patient: Callable[[], str]
    ids: dict[str, int]
    calls: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def call_kwargs(self, case: Case) -> dict[str, Any]:
        """The credential the operation's security asks for: a device token, the patient's
        session (a patient's GET needs no CSRF token), or the coach's API token. (schemathesis
        fills a cookie security scheme with a value of its own: the real one wins.)"""
        security = case.operation.definition.raw.get("security")
        if security == [{"session": []}]:
            # Signed in afresh each time: a fuzzed DELETE of a join link may end any session.
            cookie = self.sign_in_patient()
            return {"session": self.session, "cookies": {COOKIE_NAME: cookie}}
        token = self.device_token if security == [{"deviceToken": []}] else self.coach_token
        return {"session": self.session, "headers": {"authorization": f"Bearer {token}"}}

    def call(self, case: Case) -> None:
        self.calls += 1
        response = case.call(**self.call_kwargs(case))
        self.statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)


def _credentials(session: Session, world: World, clock: Clock) -> dict[str, object]:
    coach = session.get(StaffUser, world.coach_a)
    assert coach is not None
    _, coach_token = api_tokens.create(session, coach, "schemathesis")
    # One device token to send with, and one for the fuzzer to revoke (and a join link).
    _, device_token = device_tokens.issue(session, world.patient_a, "band", world.coach_a)
    device, _ = device_tokens.issue(session, world.patient_a, "spare", world.coach_a)
    link, _ = join_links.issue(
        session, TEST_SECRET, world.patient_a, world.coach_a, timedelta(days=1), clock.now()
    )
    return {
        "coach": coach_token,
        "device": device_token,
        "device_token_id": device.id,
        "link_id": link.id,
    }


def _patient_session(session: Session, patient_id: int, clock: Clock) -> str:
    """What opening a fresh join link gives the patient: a session bound to that link."""
    link, _ = join_links.issue(
        session, TEST_SECRET, patient_id, None, timedelta(days=1), clock.now()
    )
    return sessions.start(session, patient_id=patient_id, join_link_id=link.id, now=clock.now())[1]


@pytest.fixture
def api(settings: Settings, clock: Clock, db: Database, world: World) -> Iterator[Api]:
    made = db.run_sync(_credentials, world, clock)
    app = create_app(settings, clock=clock)
    with ASGIClient(app, base_url="http://testserver") as session:
        document = session.get("/api/v1/openapi.json").json()
        yield Api(
            session,
            schemathesis.openapi.from_dict(document),
            str(made["coach"]),
            str(made["device"]),
            lambda: db.run_sync(_patient_session, world.patient_a, clock),
            {
                "patient_id": world.patient_a,
                "class_id": world.class_a,
                "occurrence_id": world.occurrence_a,
                "link_id": int(str(made["link_id"])),
                "device_token_id": int(str(made["device_token_id"])),
            },
        )


def test_every_operation_answers_as_documented_and_never_5xx(api: Api) -> None:
    operations = [result.ok() for result in api.schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:
        params = operation.path_parameters
        known = {p.name: api.ids[p.name] for p in params if p.name in api.ids}
        # Mostly the coach's own objects, to get past 404; sometimes any id at all; and input
        # that breaks the schema (which must be a documented 4xx, never a 5xx).
        own = operation.as_strategy(path_parameters=known or None)
        broken = operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=known or None)
        strategy = st.one_of(own, own, operation.as_strategy(), broken)

        @_FUZZ
        @given(case=strategy)
        def run(case: Case) -> None:
            api.call(case)

        try:
            run()
        except Exception as exc:  # every operation runs; the failures are listed together
            api.failures.append(f"{operation.label}: {exc}")
    print(f"schemathesis: {len(operations)} operations, {api.calls} calls, {api.statuses}")
    assert api.failures == []


def test_links_between_operations_hold_in_sequence(api: Api) -> None:
    machine = api.schema.as_state_machine()

    class Run(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return api.call_kwargs(case)

        def validate_response(self, response: Response, case: Case, **kwargs: object) -> None:
            api.calls += 1
            api.statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS)

    run_state_machine_as_test(
        Run,
        settings=settings(
            max_examples=10,
            stateful_step_count=6,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )
    print(f"schemathesis stateful: {api.calls} calls, {api.statuses}")
    assert api.calls > 10
