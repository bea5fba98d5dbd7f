"""A room: one class occurrence, live. Who is waiting, who is in, and who receives whose media.

Every method here is synchronous and runs on the event loop, so a room changes in one step: it
updates membership, re-points the forwarding slots (`rewire`) and posts each member a fresh
`state`. Sending, negotiating and closing happen in each connection's own tasks.

Media routing: a host (the coach) receives every other admitted participant; a patient receives
the hosts, and the other patients only when the room allows it. Audio-only subscribers get no
video slots at all, so the server sends them no video.

Nobody is lost silently: each entry of a `state` says how that person's media is (`connection`),
and a patient whose websocket drops stays in the hosts' view as "lost" until they are back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from coach.room_events import CLASS_END, CLASS_REOPEN, ROOM_JOIN
from rtc.errors import Fatal, SignalingError
from rtc.forwarding import Source
from rtc.participants import (
    Dropped,
    Identity,
    Member,
    MemberConnection,
    RoomEvent,
    RoomObserver,
    RoomPolicy,
)
from rtc.peer import KINDS, SlotKey


class Room:
    def __init__(
        self,
        occurrence_id: int,
        policy: RoomPolicy,
        observer: RoomObserver,
        now: Callable[[], datetime],
        patients_see_each_other: bool = False,
    ) -> None:
        self.occurrence_id = occurrence_id
        self.now = now
        self.policy = policy
        self.members: dict[str, Member] = {}
        self.spotlight: str | None = None
        self.patients_see_each_other = patients_see_each_other
        self.ended = False
        self._observer = observer
        self._admitted_before: set[str] = set()  # a reconnecting patient skips the lobby
        self._removed: set[str] = set()
        self._dropped: dict[str, Dropped] = {}

    # -- arriving and leaving --------------------------------------------------------------

    def refuse_removed(self, identity: Identity) -> None:
        if identity.id in self._removed:
            raise Fatal("removed", "the coach removed you from this class", 4403)

    def join(
        self, connection: MemberConnection, audio_only: bool = False, reopen: bool = False
    ) -> Member:
        identity = connection.identity
        if self.ended:
            if not (reopen and identity.role == "host"):
                raise Fatal("class_ended", "this class has ended", 4410)
            self._reopen(identity)
        self.refuse_removed(identity)
        self._dropped.pop(identity.id, None)
        member = self.members.get(identity.id)
        if member is not None:
            # The same person again (a new tab, a reconnect the server has not noticed yet):
            # the newest connection wins.
            member.connection.terminate(
                "error", 4409, code="replaced", message="you joined from another window"
            )
            member.connection = connection
            member.last_state = None  # the new connection has been sent nothing yet
            member.audio_only = audio_only
            if member.admitted:
                connection.admitted()
        else:
            if identity.role == "patient" and self._patients() >= self.policy.capacity:
                raise SignalingError("room_full", "the class is full; try again later")
            member = Member(identity, connection, audio_only=audio_only)
            self.members[identity.id] = member
            self._event(ROOM_JOIN, identity, identity.actor.patient_id)
            if identity.on_hold:
                self._event("class.join_on_hold", identity, identity.actor.patient_id)
        if not member.admitted and (
            member.is_host or self.policy.auto_admit or member.id in self._admitted_before
        ):
            self._admit(member)
        elif not member.admitted:
            connection.post({"type": "lobby"})
        self.changed()
        return member

    def leave(self, connection: MemberConnection, dropped: bool = False) -> None:
        """`dropped`: the connection went without a goodbye; a patient then shows as lost."""
        member = self.members.get(connection.identity.id)
        if member is None or member.connection is not connection:
            return  # already replaced by a newer connection
        del self.members[member.id]
        if dropped and not member.is_host and not self.ended:
            since = connection.link_since or self.now()
            self._dropped[member.id] = Dropped(member.identity, since)
        if self.spotlight == member.id:
            self.spotlight = None
        self._event("class.leave", member.identity, member.identity.actor.patient_id)
        self.changed()

    def peer_changed(self, connection: MemberConnection) -> None:
        """The connection got a new server peer (or lost one): route media again."""
        if self.members.get(connection.identity.id) is not None:
            self.changed()

    # -- the host's commands ----------------------------------------------------------------

    def admit(self, host: MemberConnection, participant: str) -> None:
        member = self._patient(participant)
        if not member.admitted:
            self._admit(member)
            self._event("class.admit", host.identity, member.identity.actor.patient_id)
            self.changed()

    def remove(self, host: MemberConnection, participant: str) -> None:
        gone = self._dropped.pop(participant, None)
        if gone is not None:  # a lost patient: take them off the coach's screen, keep them out
            self._removed.add(participant)
            self._admitted_before.discard(participant)
            self._event("class.remove", host.identity, gone.identity.actor.patient_id)
            self.changed()
            return
        member = self._patient(participant)
        self._removed.add(member.id)
        self._admitted_before.discard(member.id)
        self._event("class.remove", host.identity, member.identity.actor.patient_id)
        member.connection.terminate("removed", 4403)
        self.leave(member.connection)

    def mute(self, host: MemberConnection, participant: str) -> None:
        member = self._patient(participant)
        member.muted_by_host = True
        self._event("class.mute", host.identity, member.identity.actor.patient_id)
        self.changed()

    def set_spotlight(self, host: MemberConnection, participant: str | None) -> None:
        if participant is not None:
            self._patient(participant)
        self.spotlight = participant
        self.changed()

    def set_options(self, host: MemberConnection, patients_see_each_other: bool) -> None:
        self.patients_see_each_other = patients_see_each_other
        self.changed()

    def end(self, host: MemberConnection) -> None:
        self._event(CLASS_END, host.identity, None)
        self._finish()

    def close(self) -> None:
        """Closing time (the class is long over): end it for everyone still here."""
        self._finish()

    def _finish(self) -> None:
        self.ended = True
        for member in list(self.members.values()):
            member.connection.terminate("ended", 4410)
        self.members.clear()
        self._dropped.clear()

    def _reopen(self, host: Identity) -> None:
        """A host starts an ended class again: a new session of the room. Earlier admissions
        are forgotten (every patient waits in the lobby again, unless the class admits enrolled
        patients automatically); removals stand."""
        self.ended = False
        self.spotlight = None
        self._admitted_before.clear()
        self._event(CLASS_REOPEN, host, None)

    # -- a participant's own switches -------------------------------------------------------

    def set_mute(self, connection: MemberConnection, kind: str, muted: bool) -> None:
        member = self._me(connection)
        if kind == "audio":
            member.audio_muted = muted
            if not muted:
                member.muted_by_host = False  # a patient can always speak up again
        else:
            member.video_muted = muted
        self.changed()

    def set_audio_only(self, connection: MemberConnection, enabled: bool) -> None:
        self._me(connection).audio_only = enabled
        self.changed()

    # -- routing and state ------------------------------------------------------------------

    def changed(self) -> None:
        self.rewire()
        for member in self.members.values():
            self.send_state(member)

    def send_state(self, member: Member) -> None:
        """The member's view, if it is not what they were last sent: a patient's page redraws
        on every `state`, and most changes in a class are nothing a given patient sees."""
        state = self.state_for(member)
        if state != member.last_state:
            member.last_state = state
            member.connection.post(state)

    def rewire(self) -> None:
        for member in self.members.values():
            peer = member.connection.peer
            if peer is None:
                continue
            for kind, source in peer.sources.items():
                muted = member.video_muted
                if kind == "audio":
                    muted = member.audio_muted or member.muted_by_host
                source.set_enabled(not muted)
        for member in self.members.values():
            peer = member.connection.peer
            if peer is not None and member.admitted:
                peer.assign(self._wanted(member))

    def _wanted(self, subscriber: Member) -> dict[SlotKey, Source]:
        wanted: dict[SlotKey, Source] = {}
        for publisher in self.members.values():
            peer = publisher.connection.peer
            if publisher is subscriber or peer is None or not publisher.admitted:
                continue
            if not self._hears(subscriber, publisher):
                continue
            for kind in KINDS:
                source = peer.sources.get(kind)  # a phone caller publishes no video
                if source is None or (kind == "video" and subscriber.audio_only):
                    continue
                wanted[(publisher.id, kind)] = source
            watching = subscriber.is_host and not publisher.is_host
            if watching and subscriber.id not in publisher.viewed_by:
                publisher.viewed_by.add(subscriber.id)  # audited once per coach and patient
                patient_id = publisher.identity.actor.patient_id
                self._event("class.live_view", subscriber.identity, patient_id)
        return wanted

    def _hears(self, subscriber: Member, publisher: Member) -> bool:
        """Whose media goes to whom. A phone caller hears the coach and whoever is spotlighted
        (decoding and mixing cost the server, and a call has one ear); the class hears a caller
        when the coach spotlights them."""
        if subscriber.is_phone:
            return publisher.is_host or publisher.id == self.spotlight
        if publisher.is_phone and not subscriber.is_host and publisher.id == self.spotlight:
            return True
        return self._sees(subscriber, publisher)

    def _sees(self, viewer: Member, other: Member) -> bool:
        if viewer.is_host or other.is_host:
            return True
        return self.patients_see_each_other and viewer.admitted and other.admitted

    def state_for(self, viewer: Member) -> dict[str, Any]:
        peer = viewer.connection.peer
        mids = peer.track_mids() if peer is not None and viewer.admitted else {}
        visible = [
            m
            for m in self.members.values()
            if m is viewer or (self._sees(viewer, m) and (viewer.is_host or m.admitted))
        ]
        entries = [self._entry(m, viewer, mids) for m in visible]
        if viewer.is_host:
            entries.extend(self._dropped_entry(d) for d in self._dropped.values())
        return {
            "type": "state",
            "you": viewer.id,
            "admitted": viewer.admitted,
            "participants": entries,
            "spotlight": self.spotlight if self.spotlight in {m.id for m in visible} else None,
            "options": {"patients_see_each_other": self.patients_see_each_other},
        }

    def _entry(self, member: Member, viewer: Member, mids: dict[SlotKey, str]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": member.id,
            "name": member.identity.name,
            "role": member.identity.role,
            "kind": member.identity.kind,
            "admitted": member.admitted,
            "audio_muted": member.audio_muted or member.muted_by_host,
            "muted_by_host": member.muted_by_host,
            "video_muted": member.video_muted,
            "audio_only": member.audio_only,
            "mids": {kind: mids[(member.id, kind)] for kind in KINDS if (member.id, kind) in mids},
            "connection": member.connection.link if member.admitted else "waiting",
        }
        since = member.connection.link_since if member.admitted else None
        if since is not None:
            entry["connection_since"] = _iso(since)
        if viewer.is_host and not member.is_host:
            entry["on_hold"] = member.identity.on_hold
            entry["hold_reasons"] = list(member.identity.hold_reasons)
        return entry

    def _dropped_entry(self, dropped: Dropped) -> dict[str, Any]:
        identity = dropped.identity
        return {
            "id": identity.id,
            "name": identity.name,
            "role": identity.role,
            "kind": identity.kind,
            "admitted": False,
            "audio_muted": False,
            "muted_by_host": False,
            "video_muted": False,
            "audio_only": False,
            "mids": {},
            "connection": "lost",
            "connection_since": _iso(dropped.since),
            "on_hold": identity.on_hold,
            "hold_reasons": list(identity.hold_reasons),
        }

    # -- helpers ------------------------------------------------------------------------------

    def _admit(self, member: Member) -> None:
        member.admitted = True
        if not member.is_host:
            self._admitted_before.add(member.id)
        member.connection.admitted()

    def _patients(self) -> int:
        return sum(1 for m in self.members.values() if not m.is_host)

    def _patient(self, participant: str) -> Member:
        member = self.members.get(participant)
        if member is None or member.is_host:
            raise SignalingError("unknown_participant", "no such patient in this class")
        return member

    def _me(self, connection: MemberConnection) -> Member:
        member = self.members.get(connection.identity.id)
        if member is None or member.connection is not connection:
            raise SignalingError("not_joined", "send 'join' first")
        return member

    def _event(self, action: str, actor: Identity, patient_id: int | None) -> None:
        self._observer.room_event(RoomEvent(action, self.occurrence_id, actor.actor, patient_id))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
