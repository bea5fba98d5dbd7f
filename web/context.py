"""What every handler can reach through `request.app.state.ctx`: built once by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection
from starlette.templating import Jinja2Templates

from coach.clock import Clock
from coach.database import Database
from coach.rules import RuleSet
from messaging.service import SmsService
from web.auth.passwords import Passwords
from web.i18n import Catalogues
from web.live_sockets import LiveSockets
from web.sms.alert_hub import AlertHub
from web.web_settings import WebSettings

if TYPE_CHECKING:
    from rtc.heart_rate.service import HeartRateService
    from rtc.rooms import Rooms
    from scheduler.config import SchedulerConfig
    from scheduler.runner import Runner
    from web.auth.recheck import SignInRecheck
    from web.heart_rate.rate_limit import DeviceRateLimiter


@dataclass
class AppContext:
    settings: WebSettings
    db: Database
    templates: Jinja2Templates
    catalogues: Catalogues
    rules: RuleSet
    clock: Clock  # every handler's "now"; tests pass their own to create_app
    passwords: Passwords = field(default_factory=Passwords)
    redis: Any = None  # redis.asyncio.Redis once the lifespan has opened it
    rooms: Rooms | None = None  # the live class rooms this process hosts
    alerts: AlertHub = field(default_factory=AlertHub)  # urgent alerts to live views
    recheck: SignInRecheck = field(init=False)  # set by create_app: open sockets' sign-ins
    sms: SmsService = field(init=False)  # set by create_app: transports, inbound, replies
    heart_rate: HeartRateService | None = None  # live heart rate, opened in the lifespan
    device_rate: DeviceRateLimiter | None = None  # per-device ingest limit (Redis if set)
    schedule: SchedulerConfig | None = None  # set by create_app: quiet hours, reminder offsets
    scheduler: Runner | None = None  # the in-process runner, when SCHEDULER_IN_SERVE
    # Live heart-rate sockets, told to reconnect when `serve` stops (telecoach/server.py).
    live_sockets: LiveSockets = field(default_factory=LiveSockets)


def ctx_of(conn: HTTPConnection) -> AppContext:
    ctx: AppContext = conn.app.state.ctx
    return ctx


def schedule_of(conn: HTTPConnection) -> SchedulerConfig:
    schedule = ctx_of(conn).schedule
    assert schedule is not None, "create_app sets the scheduler config"
    return schedule
