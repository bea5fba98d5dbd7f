"""Who is in a room, what the room allows, and what a room tells the layer above it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from coach.access import Actor
from rtc.forwarding import Source
from rtc.peer import SlotKey

Role = Literal["host", "patient"]
# How they are in the class: a browser (camera, microphone, WebRTC) or a phone call (voice only,
# bridged by rtc/phone/).
Kind = Literal["browser", "phone"]


@dataclass(frozen=True)
class Identity:
    """A person, as the web layer authenticated them; `id` is stable across their reconnects."""

    id: str  # "s<staff id>" or "p<patient id>": never a name or a phone number
    role: Role
    name: str
    actor: Actor
    on_hold: bool = False
    hold_reasons: tuple[str, ...] = ()
    kind: Kind = "browser"


@dataclass(frozen=True)
class RoomPolicy:
    title: str
    capacity: int  # patients at once, waiting or admitted
    auto_admit: bool = False
    closes_at: datetime | None = None  # the room ends itself then (app clock)
    # Its coach ended it in a room this process no longer holds (before a restart, say): the
    # room is made ended, and only the coach starting it again lets anyone back in.
    ended_before: bool = False


class MediaPeer(Protocol):
    """A member's media on the server: what they publish (`sources`, by kind; a phone caller has
    no video) and what they receive (`assign`). rtc/peer.py's ServerPeer is a browser's;
    rtc/phone/listening.py's PhonePeer is a caller's."""

    sources: dict[str, Source]

    def assign(self, wanted: dict[SlotKey, Source]) -> None: ...
    def track_mids(self) -> dict[SlotKey, str]: ...


class MemberConnection(Protocol):
    """What a room needs of a member's signaling connection (rtc/connection.py is the one)."""

    @property
    def identity(self) -> Identity: ...
    @property
    def peer(self) -> MediaPeer | None: ...
    @property
    def link(self) -> str: ...
    @property
    def link_since(self) -> datetime | None: ...
    def post(self, message: dict[str, Any]) -> None: ...
    def admitted(self) -> None: ...
    def terminate(self, kind: str, close_code: int, **fields: Any) -> None: ...


@dataclass
class Member:
    identity: Identity
    connection: MemberConnection
    admitted: bool = False
    audio_muted: bool = False
    video_muted: bool = False
    muted_by_host: bool = False
    audio_only: bool = False
    viewed_by: set[str] = field(default_factory=set)  # hosts already audited as watching
    # The last `state` this member's connection was sent: another goes only when it differs.
    last_state: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return self.identity.id

    @property
    def is_host(self) -> bool:
        return self.identity.role == "host"

    @property
    def is_phone(self) -> bool:
        return self.identity.kind == "phone"


@dataclass(frozen=True)
class Dropped:
    """A patient whose connection dropped without a goodbye: hosts keep seeing them, as lost,
    until they come back or a host removes them."""

    identity: Identity
    since: datetime


@dataclass(frozen=True)
class RoomEvent:
    """Something the audit trail must hold: who did what to which patient, in which class."""

    action: str
    occurrence_id: int
    actor: Actor
    patient_id: int | None
    detail: str = ""


class RoomObserver(Protocol):
    def room_event(self, event: RoomEvent) -> None: ...
