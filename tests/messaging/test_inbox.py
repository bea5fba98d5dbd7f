"""The coach's inbox and the messages API: threads, meanings, statuses, manual messages."""

from __future__ import annotations

import html
import re

from sqlmodel import select

from coach.database import Database
from coach.models import AuditEvent
from tests.conftest import World
from tests.factories import join_token
from tests.messaging.conftest import AppFor, compose, outgoing, set_patient, text_in, thread
from tests.web.signin import join, login

ANA, BRUNO = "+15555550101", "+15555550102"


def test_the_api_returns_the_thread_with_meanings(sms, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    text_in(sms, ANA, "cansancio 7")
    text_in(sms, ANA, "38.5C and dizzy")
    login(sms, "coach.a@example.org")
    body = sms.get(f"/api/v1/patients/{world.patient_a}/messages").json()
    assert body["patient_id"] == world.patient_a and body["opted_out"] is False
    summary = [
        (m["direction"], m.get("intent"), m.get("value"), m.get("red_flags"))
        for m in body["messages"]
    ]
    assert summary == [
        ("in", "fatigue", 7, []),
        ("out", None, None, None),
        ("in", "red_flag", None, ["fever", "dizziness"]),
        ("out", None, None, None),
    ]
    for message in body["messages"]:
        assert {"direction", "body", "status", "created_at"} <= set(message)
    assert body["messages"][3]["status"] == "delivered" and body["messages"][3]["urgent"]
    reads = db.run_sync(
        lambda s: list(s.exec(select(AuditEvent).where(AuditEvent.action == "sms.read")))
    )
    assert [(e.actor_id, e.patient_id) for e in reads] == [(world.coach_a, world.patient_a)]


def test_other_coaches_and_patients_cannot_read_the_thread(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    text_in(sms, ANA, "my secret reply")
    assert sms.get(f"/api/v1/patients/{world.patient_a}/messages").status_code == 401
    login(sms, "coach.b@example.org")
    assert sms.get(f"/api/v1/patients/{world.patient_a}/messages").status_code == 404
    assert sms.get(f"/inbox/{world.patient_a}").status_code == 404
    assert "my secret reply" not in sms.get("/inbox").text
    sms.cookies.clear()
    join(sms, db.run_sync(join_token, world.patient_a))
    assert sms.get(f"/api/v1/patients/{world.patient_a}/messages").status_code == 403


def test_the_inbox_puts_urgent_and_unread_first(sms, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    login(sms, "admin@example.org")
    text_in(sms, BRUNO, "¿puedo caminar mañana?")
    text_in(sms, ANA, "chest hurts")
    page = sms.get("/inbox").text
    assert page.index("Ana Secretname") < page.index("Bruno Hiddenname")
    assert "1 urgent" in page and "1 to read" in page
    thread_page = sms.get(f"/inbox/{world.patient_a}").text
    assert "red flag: chest pain" in thread_page and "On hold until" in thread_page
    purpose = '>safety advice after a warning sign</span> · <span class="sms-status">delivered'
    assert purpose in thread_page
    assert "Reported today by SMS: chest pain" in thread_page  # the hold's reason
    spanish = sms.get(f"/inbox/{world.patient_a}?lang=es").text  # in the reader's words
    assert "Comunicado hoy por SMS: dolor en el pecho" in spanish
    assert "reported today" not in spanish


def test_the_coach_reaches_the_inbox_from_any_page_and_a_thread_from_the_patients_page(
    sms, world: World
) -> None:  # type: ignore[no-untyped-def]
    text_in(sms, ANA, "chest hurts")
    login(sms, "coach.a@example.org")
    for page in ("/dashboard", "/patients", "/classes", f"/patients/{world.patient_a}"):
        header = sms.get(page).text.split("</header>")[0]
        assert '<a href="/inbox">SMS inbox</a>' in header, page
    patient_page = sms.get(f"/patients/{world.patient_a}").text
    link = re.search(r'<a href="([^"]+)" id="sms-thread-link">([^<]+)</a>', patient_page)
    assert link is not None and link[2].startswith("Text messages")
    assert "red flag: chest pain" in sms.get(link[1]).text  # Ana's thread, not the whole inbox
    spanish = sms.get(f"/patients/{world.patient_a}?lang=es").text
    assert 'id="sms-thread-link">Mensajes de texto' in spanish


def test_a_manual_message_is_sent_and_marked_as_the_coachs(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    set_patient(db, world.patient_a, sms_consent=True)
    login(sms, "coach.a@example.org")
    response = compose(sms, world.patient_a, "  Great week, Ana! Keep walking.  ")
    assert response.status_code == 303 and response.headers["location"] == (
        f"/inbox/{world.patient_a}"
    )
    [sent] = outgoing(db, world.patient_a)
    assert (sent.body, sent.purpose, sent.sent_by, sent.status) == (
        "Great week, Ana! Keep walking.",
        "manual",
        world.coach_a,
        "delivered",
    )
    assert "Great week, Ana!" in sms.get(f"/inbox/{world.patient_a}").text


def test_manual_messages_are_rate_limited_per_patient(
    app_for: AppFor, world: World, db: Database
) -> None:
    client = app_for(sms_manual_per_hour=2)
    set_patient(db, world.patient_a, sms_consent=True)
    set_patient(db, world.patient_b, sms_consent=True)
    login(client, "admin@example.org")
    assert compose(client, world.patient_a, "one").status_code == 303
    assert compose(client, world.patient_a, "two").status_code == 303
    third = compose(client, world.patient_a, "three")
    assert third.status_code == 429 and 0 < int(third.headers["Retry-After"]) <= 3600
    assert compose(client, world.patient_b, "another patient").status_code == 303
    assert [m.body for m in outgoing(db, world.patient_a)] == ["one", "two"]


def test_bad_manual_messages_are_refused_and_nothing_is_stored(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    set_patient(db, world.patient_a, sms_consent=True)
    csrf = login(sms, "coach.a@example.org")
    for body, status, words in (
        ("", 422, "empty"),
        ("   ", 422, "empty"),
        ("x" * 1601, 422, "1600"),
        ("How did the chemo go?", 422, "diagnos"),
        ("Tu quimioterapia de mañana", 422, "diagnos"),
    ):
        response = compose(sms, world.patient_a, body)
        assert response.status_code == status and words in response.text, body
        # The thread again, with the text as typed, so a refused message is fixed, not retyped.
        if body.strip() and len(body) <= 1600:
            assert f">{html.escape(body, quote=False)}</textarea>" in response.text, body
            assert 'role="alert"' in response.text
    no_body = sms.post(f"/inbox/{world.patient_a}/messages", data={"csrf_token": csrf})
    assert no_body.status_code == 422
    no_csrf = sms.post(f"/inbox/{world.patient_a}/messages", data={"body": "hello"})
    assert no_csrf.status_code == 403
    assert outgoing(db, world.patient_a) == []


def test_segment_count_for_the_compose_box(sms, world: World) -> None:  # type: ignore[no-untyped-def]
    url = "/api/v1/sms/segments"
    assert sms.post(url, json={"text": "hi"}).status_code == 401
    csrf = login(sms, "coach.a@example.org")
    headers = {"X-CSRF-Token": csrf}
    assert sms.post(url, json={"text": "a" * 161}, headers=headers).json() == {
        "encoding": "GSM-7",
        "units": 161,
        "segments": 2,
        "per_segment": 153,
    }
    assert (
        sms.post(url, json={"text": "¿Cómo estás? 😀"}, headers=headers).json()["encoding"]
        == "UCS-2"
    )
    for bad, status in (
        ({"text": 12}, 422),
        ({}, 422),
        ({"text": "a", "x": 1}, 422),
        ({"text": "a" * 1601}, 422),
    ):
        assert sms.post(url, json=bad, headers=headers).status_code == status, bad
    assert (
        sms.post(
            url,
            content=b"text=hi",
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        ).status_code
        == 415
    )
    assert sms.post(url, json={"text": "hi"}).status_code == 403  # no CSRF token


def test_marking_replies_read(sms, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    text_in(sms, ANA, "question for my coach")
    csrf = login(sms, "coach.a@example.org")
    assert "1 to read" in sms.get("/inbox").text
    response = sms.post(f"/inbox/{world.patient_a}/handled", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert [m.needs_reply for m in thread(db, world.patient_a)] == [False, False]
    assert "to read" not in sms.get("/inbox").text


def test_a_refused_message_says_why_in_the_coachs_language(sms, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    """Why a text did not go is said in the coach's words, not the sender's English; the text
    typed stays in the box and nothing is sent."""
    csrf = login(sms, "coach.a@example.org")
    url = f"/inbox/{world.patient_a}/messages"
    for lang, body, status, words in (
        ("es", "   ", 422, "No enviado: el mensaje está vacío."),
        ("es", "How did the chemo go?", 422, "No enviado: menciona «chemo»."),
        ("zh-Hans", "x" * 1601, 422, "未发送：消息有 1601 个字符，一条短信最多 1600 个。"),
        ("zh-Hans", "你的化疗怎么样？", 422, "未发送：其中提到了“化疗”。"),
        ("es", "Hola", 409, "No enviado: este paciente no ha aceptado recibir mensajes."),
        ("en", "Hello", 409, "Not sent: this patient has not agreed to texts. Nothing was sent."),
    ):
        response = sms.post(f"{url}?lang={lang}", data={"body": body, "csrf_token": csrf})
        assert response.status_code == status, (lang, body)
        alert = re.search(r'<p id="sms-error" class="error" role="alert">([^<]*)<', response.text)
        assert alert and html.unescape(alert.group(1)).startswith(words), (lang, body, alert)
        assert "the message" not in response.text and "consented" not in response.text
    # A form no page sends (no body at all) meets the error page: its sentence in her language,
    # the server's own words under it, marked as English.
    no_body = sms.post(f"{url}?lang=es", data={"csrf_token": csrf})
    assert no_body.status_code == 422 and '<html lang="es">' in no_body.text
    assert "Algo de lo enviado faltaba o no se aceptó." in no_body.text
    assert 'Detalles: <span lang="en">write a message first</span>' in no_body.text
    assert outgoing(db, world.patient_a) == []
