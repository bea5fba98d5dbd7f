"""The phone simulator: a patient's thread as their phone shows it; a reply typed there takes the
same path as a real text."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from coach.adherence import SessionLog
from coach.database import Database
from coach.models import Patient
from tests.conftest import World
from tests.messaging.conftest import AppFor, thread
from tests.web.signin import csrf_from, login


def test_replying_as_the_patient_goes_through_the_inbound_path(
    app_for: AppFor, world: World, db: Database, tmp_path: Path
) -> None:
    client = app_for(twilio_auth_token=None)  # the embedded default: no Twilio at all
    login(client, "coach.a@example.org")
    phones = client.get("/dev/phone").text
    assert "Ana Secretname" in phones and "Bruno Hiddenname" not in phones
    page = client.get(f"/dev/phone/{world.patient_a}")
    response = client.post(
        f"/dev/phone/{world.patient_a}",
        data={"body": "listo 20 min", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303
    messages = thread(db, world.patient_a)
    assert [(m.direction, m.intent) for m in messages] == [("in", "done"), ("out", None)]
    assert messages[0].provider_sid and messages[0].provider_sid.startswith("SM")
    log = db.run_sync(lambda s: s.exec(select(SessionLog)).one())
    assert (log.patient_id, log.minutes, log.source) == (world.patient_a, 20, "sms")
    shown = client.get(f"/dev/phone/{world.patient_a}").text
    assert "listo 20 min" in shown and "Logged 20 minutes today" in shown
    outbox = [json.loads(line) for line in (tmp_path / "sms_outbox.jsonl").read_text().splitlines()]
    assert [(o["to"], o["message_id"]) for o in outbox] == [("+15555550101", messages[1].id)]


def test_the_simulator_is_for_signed_in_staff_and_their_own_patients(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    assert sms.get("/dev/phone").status_code == 303  # to the sign-in page
    assert sms.post(f"/dev/phone/{world.patient_a}", data={"body": "STOP"}).status_code == 403
    csrf = login(sms, "coach.b@example.org")
    assert sms.get(f"/dev/phone/{world.patient_a}").status_code == 404
    stolen = sms.post(f"/dev/phone/{world.patient_a}", data={"body": "STOP", "csrf_token": csrf})
    assert stolen.status_code == 404
    for body in ("", "x" * 1601):
        response = sms.post(
            f"/dev/phone/{world.patient_b}", data={"body": body, "csrf_token": csrf}
        )
        assert response.status_code == 422
    assert thread(db, world.patient_a) == [] and thread(db, world.patient_b) == []


def test_there_is_no_simulator_in_production(app_for: AppFor, world: World) -> None:
    client = app_for(env="production", base_url="https://testserver")
    assert client.get("/dev/phone").status_code == 404
    assert client.get(f"/dev/phone/{world.patient_a}").status_code == 404


def test_the_simulator_reads_in_the_coachs_language_and_its_texts_in_the_patients(
    app_for: AppFor, world: World, db: Database
) -> None:
    """The demo's phone pages were English whatever the coach read in, under a page marked as
    the coach's language; the texts themselves are the patient's, marked so."""
    client = app_for(twilio_auth_token=None)
    csrf = login(client, "coach.a@example.org")
    sent = {"body": "listo 20 min", "csrf_token": csrf}
    assert client.post(f"/dev/phone/{world.patient_a}", data=sent).status_code == 303
    phones = client.get("/dev/phone?lang=es").text
    assert "<h1>Simulador de teléfono</h1>" in phones and "Dev mode only" not in phones
    page = client.get(f"/dev/phone/{world.patient_a}?lang=zh-Hans").text
    assert '<html lang="zh-Hans">' in page
    assert "← 所有手机" in page and 'aria-label="Ana Secretname的手机"' in page
    assert ">以Ana Secretname的身份回复</label>" in page and 'placeholder="短信"' in page
    language = db.run_sync(lambda s: s.get(Patient, world.patient_a)).language
    assert f'<ol class="phone-thread" lang="{language}">' in page
    assert "listo 20 min" in page
    for english in ("all phones", "coach's view", "Reply as", "Text message", ">Send<"):
        assert english not in page, english
