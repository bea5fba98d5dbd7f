"""Bad input on the class websocket: each gets a clear error (and, where the client may not go on,
a close code), nothing in the room changes, and everyone else keeps their class."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import Session, select

from coach.audit import events_for_patient
from coach.models import AuditEvent, JoinLink, utcnow
from rtc.protocol import MAX_MESSAGE_CHARS
from tests.conftest import World
from tests.factories import join_token
from tests.rtc.client import RoomClient
from tests.rtc.conftest import RoomServer, add_patient
from tests.rtc.scenes import admitted_patient, arrive, live_coach, publishing, refused, run
from web.auth.models import WebSession
from web.auth.secrets_util import digest


def test_no_or_bad_credentials_are_turned_away(room_server: RoomServer, room_world: World) -> None:
    def expire(session: Session, raw: str) -> None:
        row = session.exec(select(WebSession).where(WebSession.id_hash == digest(raw))).one()
        row.last_seen_at = utcnow() - timedelta(hours=3)
        session.add(row)

    idle = room_server.patient_cookie(room_world.patient_a)
    room_server.db.run_sync(expire, idle)

    def revoked_link_session(session: Session) -> str:
        from web.auth import sessions

        join_token(session, room_world.patient_a)
        link = session.exec(
            select(JoinLink).where(JoinLink.patient_id == room_world.patient_a)
        ).one()
        raw = sessions.start(session, patient_id=room_world.patient_a, join_link_id=link.id)[1]
        link.revoked_at = utcnow()
        sessions.end_all_for_join_link(session, link.id)  # what revoking a link does
        return raw

    revoked = room_server.db.run_sync(revoked_link_session)

    async def scenario() -> None:
        for cookie in (None, "not-a-session", "x" * 500, idle, revoked):
            error, code = await refused(room_server, room_world.occurrence_a, cookie)
            assert (error["type"], error["code"], code) == ("error", "unauthenticated", 4401)
        client = RoomClient(room_server.url, room_world.occurrence_a, None)
        client_headers = {"Authorization": "Bearer tc_forged"}
        from websockets.asyncio.client import connect

        async with connect(client.url, additional_headers=client_headers) as ws:
            message = json.loads(await ws.recv())
            assert message["code"] == "unauthenticated"

    run(scenario)


def test_the_wrong_room_is_not_found_and_audited(
    room_server: RoomServer, room_world: World
) -> None:
    async def scenario() -> None:
        coach_b = room_server.staff_cookie(room_world.coach_b)
        bruno = room_server.patient_cookie(room_world.patient_b)
        ana = room_server.patient_cookie(room_world.patient_a)
        for occurrence, cookie in (
            (room_world.occurrence_a, coach_b),  # another coach's class
            (room_world.occurrence_a, bruno),  # not enrolled
            (999_999, ana),  # no such class
            (99_999_999_999, ana),  # nor one too big for the database to look up
        ):
            error, code = await refused(room_server, occurrence, cookie)
            assert (error["code"], code) == ("not_found", 4404)
            assert "Alpha" not in error["message"]

    run(scenario)

    def denied(session: Session) -> list[AuditEvent]:
        query = select(AuditEvent).where(
            AuditEvent.outcome == "denied", AuditEvent.action == "class.room"
        )
        return list(session.exec(query))

    assert len(room_server.db.run_sync(denied)) == 3


def test_a_page_on_another_site_may_not_connect(room_server: RoomServer, room_world: World) -> None:
    async def scenario() -> None:
        cookie = room_server.patient_cookie(room_world.patient_a)
        error, code = await refused(
            room_server, room_world.occurrence_a, cookie, origin="https://evil.example"
        )
        assert (error["code"], code) == ("forbidden_origin", 4403)
        ok = RoomClient(room_server.url, room_world.occurrence_a, cookie, origin=room_server.url)
        await ok.connect()
        await ok.expect("welcome")
        await ok.close()

    run(scenario)


BAD_MESSAGES = [
    ("{not json", "bad_json"),
    ("[1, 2]", "bad_json"),
    ('"join"', "bad_json"),
    ("{}", "bad_message"),
    ('{"type": 7}', "bad_message"),
    ('{"type": "dance"}', "unknown_type"),
    ('{"type": "join", "audio_only": "yes"}', "bad_message"),
    ('{"type": "join", "extra": 1}', "bad_message"),
    ('{"type": "answer", "peer": "1", "revision": 1, "sdp": "v=0"}', "bad_message"),
    ('{"type": "answer", "peer": true, "revision": 1, "sdp": "v=0"}', "bad_message"),
    ('{"type": "answer", "peer": 1, "revision": 1}', "bad_message"),
    ('{"type": "mute", "kind": "smell", "muted": true}', "bad_message"),
    ('{"type": "mute", "participant": "p1", "kind": "audio"}', "bad_message"),
    (
        '{"type": "candidate", "peer": 1, "candidate": "candidate:1 1 udp 1 1.2.3.4 1 typ host"}',
        "bad_message",
    ),
    ('{"type": "candidate", "peer": 1, "candidate": {"sdpMid": "0"}}', "bad_message"),
    ('{"type": "admit", "participant": "' + "p" * 100 + '"}', "bad_message"),
    ("[" * 100_000 + "]" * 100_000, "bad_json"),  # nested deeper than anyone could walk
    ('{"type": "ping", "pad": "x\\ud800y"}', "bad_json"),  # a lone surrogate: not Unicode
    ('{"type": "ping", "x\\udfff": 1}', "bad_json"),  # in a key too
    ('{"type": "ping", "n": ' + "9" * 30 + "}", "bad_json"),  # no column holds it
    (json.dumps({"type": "ping", "pad": "x" * 300_000}), "too_large"),
    (
        json.dumps({"type": "answer", "peer": 1, "revision": 1, "sdp": "v=0\r\n" * 50_000}),
        "too_large",
    ),
]


def test_malformed_messages_get_a_clear_error(room_server: RoomServer, room_world: World) -> None:
    async def scenario() -> None:
        patient = await arrive(room_server, room_world.occurrence_a, room_world.patient_a)
        await patient.expect("lobby")
        for raw, code in BAD_MESSAGES:
            await patient.send(raw)
            error = await patient.expect("error")
            assert (error["code"], bool(error["message"])) == (code, True), raw[:80]
            try:
                sent = json.loads(raw)
            except (ValueError, RecursionError):
                sent = None
            # Its type is read unless the message was not taken in at all (not JSON, too long).
            unread = code == "bad_json" or len(raw) > MAX_MESSAGE_CHARS
            typed = not unread and isinstance(sent, dict) and isinstance(sent.get("type"), str)
            assert error.get("request") == (sent["type"] if typed else None), raw[:80]  # type: ignore[index]
            await patient.send({"type": "ping"})
            await patient.expect("pong")  # the connection carries on
        assert sum(m["type"] == "state" for m in patient.messages) == 1  # and nothing changed
        await patient.close()

    run(scenario)


def test_bad_media_input_changes_nothing_and_others_keep_their_class(
    room_server: RoomServer, room_world: World
) -> None:
    carla = add_patient(room_server, room_world, "Carla Bad", "+15555550103")

    async def scenario() -> None:
        coach = await live_coach(
            room_server, room_world.occurrence_a, room_world.coach_a, **publishing()
        )
        ana = await admitted_patient(
            room_server, coach, room_world.occurrence_a, room_world.patient_a, **publishing()
        )
        coach_id = f"s{room_world.coach_a}"
        await ana.wait_frames(coach_id, "video", 5)

        bad = RoomClient(
            room_server.url,
            room_world.occurrence_a,
            room_server.patient_cookie(carla),
            auto_answer=False,
            **publishing(),
        )
        await bad.connect()
        await bad.expect("welcome")
        # Before joining there is nothing to answer or mute.
        for message in (
            {"type": "answer", "peer": 1, "revision": 1, "sdp": "v=0"},
            {"type": "mute", "kind": "audio", "muted": True},
        ):
            await bad.send(message)
            assert (await bad.expect("error"))["code"] == "not_joined"
        await bad.join()
        await bad.expect("lobby")
        # A patient may not use the coach's commands, whatever the target.
        for command in (
            {"type": "admit", "participant": f"p{carla}"},
            {"type": "remove", "participant": f"p{room_world.patient_a}"},
            {"type": "mute", "participant": f"p{room_world.patient_a}"},
            {"type": "spotlight", "participant": None},
            {"type": "options", "patients_see_each_other": True},
            {"type": "end"},
        ):
            await bad.send(command)
            error = await bad.expect("error")
            assert (error["code"], error["request"]) == ("forbidden", command["type"])
        await coach.send({"type": "admit", "participant": f"p{carla}"})
        offer = await bad.expect("offer")
        # Answers that do not fit: wrong revision, stale peer, garbage, a truncated SDP.
        real = await _real_answer(bad, offer)
        for peer, revision, sdp, code in (
            (offer["peer"], offer["revision"] + 1, real, "unexpected_answer"),
            (offer["peer"] + 1000, offer["revision"], real, "unexpected_answer"),
            (offer["peer"], offer["revision"], "garbage", "bad_sdp"),
            (offer["peer"], offer["revision"], real[: len(real) // 2], "bad_sdp"),
        ):
            await bad.send({"type": "answer", "peer": peer, "revision": revision, "sdp": sdp})
            assert (await bad.expect("error"))["code"] == code
        for line in ("candidate:garbage", "candidate:1 1 udp x 1.2.3.4 9 typ host", "a=candidate"):
            await bad.send(
                {
                    "type": "candidate",
                    "peer": offer["peer"],
                    "candidate": {"candidate": line, "sdpMid": "0"},
                }
            )
            assert (await bad.expect("error"))["code"] == "bad_candidate"
        # A candidate for a connection that is not this one is dropped without a word.
        await bad.send({"type": "candidate", "peer": offer["peer"] + 1000, "candidate": None})
        await bad.send(
            {"type": "answer", "peer": offer["peer"], "revision": offer["revision"], "sdp": real}
        )
        # ...and the one good answer still works: media flows both ways.
        await bad.wait_frames(coach_id, "video", 5)
        await coach.wait_frames(f"p{carla}", "video", 5)
        # Everyone else kept their class throughout.
        count = len(ana.frames_of(coach_id, "video"))
        await ana.wait_frames(coach_id, "video", count + 10)
        state = coach.state or {}
        assert {p["id"] for p in state["participants"]} == {
            coach_id,
            f"p{room_world.patient_a}",
            f"p{carla}",
        }
        for client in (bad, ana, coach):
            await client.close()

    run(scenario)


async def _real_answer(client: RoomClient, offer: dict) -> str:  # type: ignore[type-arg]
    """What the client would answer, without sending it."""
    sent: list[str] = []
    original = client._ws.send  # type: ignore[union-attr]

    async def capture(data: str) -> None:
        sent.append(data)

    client._ws.send = capture  # type: ignore[union-attr, method-assign]
    try:
        await client.answer(offer)
    finally:
        client._ws.send = original  # type: ignore[union-attr, method-assign]
    return str(json.loads(sent[0])["sdp"])


def test_a_flood_is_cut_off_and_the_room_goes_on(
    room_server: RoomServer, room_world: World
) -> None:
    carla = add_patient(room_server, room_world, "Carla Flood", "+15555550103")

    async def scenario() -> None:
        coach = await live_coach(room_server, room_world.occurrence_a, room_world.coach_a)
        ana = await admitted_patient(
            room_server, coach, room_world.occurrence_a, room_world.patient_a
        )
        flood = await arrive(room_server, room_world.occurrence_a, carla)
        await flood.expect("lobby")
        for _ in range(400):
            await flood.send('{"type": "ping"}')
        error = await flood.wait_for(lambda m: m["type"] == "error")
        assert error["code"] == "rate_limited"
        assert await flood.wait_closed() == 4429
        await ana.send({"type": "ping"})
        await ana.expect("pong")
        for client in (flood, ana, coach):
            await client.close()

    run(scenario)
    actions = {e.action for e in room_server.db.run_sync(lambda s: events_for_patient(s, carla))}
    assert "class.admit" not in actions
