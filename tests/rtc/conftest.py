"""A real uvicorn server running the app on its own thread and event loop (like a separate
process, but its rooms can be inspected), and sign-ins made the way the app makes them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn
from sqlmodel import Session

from coach.database import Database
from rtc.rooms import Rooms
from telecoach.app import create_app
from tests.browser.conftest import free_port
from tests.conftest import World, make_settings
from tests.factories import build_world
from web.auth import sessions
from web.context import AppContext

T = TypeVar("T")


@dataclass
class RoomServer:
    url: str
    rooms: Rooms
    db: Database
    loop: asyncio.AbstractEventLoop
    ctx: AppContext  # the rest of what the process holds in memory (home sessions' engines)

    def call(self, work: Callable[[], Coroutine[Any, Any, T]], timeout: float = 10) -> T:
        """Run `work()` on the server's event loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(work(), self.loop).result(timeout)

    def stats(self) -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            return self.rooms.stats()

        return self.call(read)

    def task_count(self) -> int:
        async def count() -> int:
            return len(asyncio.all_tasks())

        return self.call(count)

    def staff_cookie(self, staff_id: int) -> str:
        return self.db.run_sync(lambda s: sessions.start(s, staff_id=staff_id)[1])

    def patient_cookie(self, patient_id: int) -> str:
        return self.db.run_sync(lambda s: sessions.start(s, patient_id=patient_id)[1])


def serve(tmp_path: Path, database_url: str, **overrides: Any) -> Iterator[RoomServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app(make_settings(database_url, tmp_path, public_base_url=url, **overrides))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the server did not start")
        threading.Event().wait(0.02)
    database = Database(database_url)
    try:
        yield RoomServer(url, app.state.ctx.rooms, database, loop, app.state.ctx)
    finally:
        server.should_exit = True
        thread.join(15)
        loop.close()
        database.dispose()


@pytest.fixture
def room_server(tmp_path: Path, sqlite_url: str) -> Iterator[RoomServer]:
    yield from serve(tmp_path, sqlite_url)


@pytest.fixture
def room_world(room_server: RoomServer) -> World:
    return room_server.db.run_sync(build_world)


def add_patient(server: RoomServer, world: World, name: str, phone: str) -> int:
    """Another of coach A's patients, enrolled in class A."""
    from tests.factories import enroll, patient

    def work(session: Session) -> int:
        patient_id = patient(session, world.coach_a, name, phone)
        enroll(session, world.class_a, patient_id)
        return patient_id

    return server.db.run_sync(work)


# The browser test in this folder uses the real-server and Chromium fixtures of tests/browser.
from tests.browser.conftest import browser, live_server  # noqa: E402, F401
