"""What every handler can reach through `request.app.state.ctx`: built once by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from starlette.requests import HTTPConnection
from starlette.templating import Jinja2Templates

from coach.classes import RoomWindow
from coach.clock import Clock
from coach.database import Database
from coach.rules import RuleSet
from messaging.service import SmsService
from rtc.alert_hub import AlertHub
from rtc.heart_rate.service import HeartRateService
from rtc.host_presence import HostPresence
from rtc.rooms import Rooms
from scheduler.config import SchedulerConfig
from usecases.home_sessions import HomeCueEngines
from web.auth.passwords import Passwords
from web.auth.recheck import SignInRecheck
from web.auth.sessions import SessionLimits
from web.heart_rate.rate_limit import DeviceRateLimiter
from web.i18n import Catalogues
from web.open_sockets import OpenSockets
from web.room_states import RoomStates, with_elsewhere
from web.web_settings import WebSettings


@dataclass
class AppContext:
    """Complete when `create_app` returns; the lifespan starts and stops the parts that run
    (the heart-rate service, the alert channel, the scheduler), it never fills a field in."""

    settings: WebSettings
    db: Database
    templates: Jinja2Templates
    catalogues: Catalogues
    rules: RuleSet
    clock: Clock  # every handler's "now"; tests pass their own to create_app
    redis: Any  # redis.asyncio.Redis when REDIS_URL is set, else None (one process)
    rooms: Rooms  # the live class rooms this process hosts
    host_presence: HostPresence  # whose coach is in the rooms of every process
    alerts: AlertHub  # alerts raised and acknowledged, to views in every process
    recheck: SignInRecheck  # open sockets' sign-ins
    session_limits: SessionLimits  # idle end and lifetime of sign-ins
    sms: SmsService  # transports, inbound, replies
    heart_rate: HeartRateService  # live heart rate: ingest, bus, monitors, alerts
    device_rate: DeviceRateLimiter  # per-device ingest limit (Redis if set)
    schedule: SchedulerConfig  # quiet hours, reminder offsets, links
    passwords: Passwords = field(default_factory=Passwords)
    # Every open websocket, told to reconnect when `serve` stops (telecoach/server.py).
    open_sockets: OpenSockets = field(default_factory=OpenSockets)
    # The cue engine of each home session running in this process (usecases/home_sessions.py).
    home_cues: HomeCueEngines = field(default_factory=HomeCueEngines)

    async def room_states(self) -> RoomStates:
        """The rooms as the pages that tag a class read them: this process's, and the classes
        whose coach is in another process's room."""
        return with_elsewhere(self.rooms, await self.host_presence.hosted_elsewhere())

    @property
    def room_window(self) -> RoomWindow:
        return RoomWindow(
            timedelta(minutes=self.settings.room_opens_minutes_before),
            timedelta(minutes=self.settings.room_closes_minutes_after),
        )


def ctx_of(conn: HTTPConnection) -> AppContext:
    ctx: AppContext = conn.app.state.ctx
    return ctx


def schedule_of(conn: HTTPConnection) -> SchedulerConfig:
    return ctx_of(conn).schedule
