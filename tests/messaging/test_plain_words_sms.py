"""A Spanish patient's warning sign by SMS: the reply says "usted"; the coach's thread shows the
hold in plain words and the coach's own clock, the rule id only behind a details toggle."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from coach.database import Database
from tests.conftest import World
from tests.messaging.conftest import outgoing, text_in
from tests.prescribing.workflow import text_of
from tests.web.signin import login

BRUNO = "+15555550102"  # Spanish, in Madrid, coached by coach B


def test_a_warning_sign_by_sms_reads_in_plain_words_for_patient_and_coach(
    sms: TestClient, world: World, db: Database
) -> None:
    text_in(sms, BRUNO, "me siento mareado")
    (reply,) = [m.body for m in outgoing(db, world.patient_b)]
    assert reply.startswith("Deje de hacer ejercicio ahora y descanse.")
    assert "Llame a su equipo de cuidado" in reply

    login(sms, "coach.b@example.org")
    page = sms.get(f"/inbox/{world.patient_b}").text
    outside = re.sub(r"<details.*?</details>", "", page, flags=re.DOTALL)
    words = text_of(outside)
    assert "Warning sign reported today" in words
    assert "hold.red_flag" not in outside and "hold.red_flag" in page
    assert "safety advice after a warning sign" in words and "safety ·" not in words
    # The hold and the messages in the coach's own zone (Madrid), the zone named; no UTC.
    assert re.search(r"Tue 01 Dec 2026, \d\d:\d\d CET", words)
    assert "UTC" not in words
