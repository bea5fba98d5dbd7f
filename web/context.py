"""What every handler can reach through `request.app.state.ctx`: built once by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection
from starlette.templating import Jinja2Templates

from coach.database import Database
from coach.rules import RuleSet
from web.auth.passwords import Passwords
from web.i18n import Catalogues
from web.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    db: Database
    templates: Jinja2Templates
    catalogues: Catalogues
    rules: RuleSet
    passwords: Passwords = field(default_factory=Passwords)
    redis: Any = None  # redis.asyncio.Redis once the lifespan has opened it


def ctx_of(conn: HTTPConnection) -> AppContext:
    ctx: AppContext = conn.app.state.ctx
    return ctx
