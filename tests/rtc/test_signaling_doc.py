"""docs/signaling.md is precise enough to write a client from: its example, a plain aiortc script
run as its own process, joins a real class as a patient with a join link."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import World
from tests.factories import join_token
from tests.rtc.conftest import RoomServer
from tests.rtc.scenes import live_coach, publishing, run

DOC = Path(__file__).resolve().parents[2] / "docs" / "signaling.md"


def example_script() -> str:
    text = DOC.read_text()
    section = text.split("## A complete patient client in Python (aiortc)", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the example is missing from docs/signaling.md"
    return match.group(1)


def test_the_documented_aiortc_script_joins_as_a_patient(
    room_server: RoomServer, room_world: World, tmp_path: Path
) -> None:
    script = tmp_path / "join_class.py"
    script.write_text(example_script())
    link = f"{room_server.url}/join/{room_server.db.run_sync(join_token, room_world.patient_a)}"
    patient_id = f"p{room_world.patient_a}"

    async def scenario() -> None:
        coach = await live_coach(
            room_server, room_world.occurrence_a, room_world.coach_a, **publishing()
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(script),
            link,
            str(room_world.occurrence_a),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            await coach.wait_for(
                lambda m: (
                    m["type"] == "state"
                    and any(p["id"] == patient_id and not p["admitted"] for p in m["participants"])
                ),
                20,
            )
            await coach.send({"type": "admit", "participant": patient_id})
            state = await coach.wait_for(
                lambda m: (
                    m["type"] == "state"
                    and "video"
                    in next(p for p in m["participants"] if p["id"] == patient_id)["mids"]
                )
            )
            camera_mid = next(p for p in state["participants"] if p["id"] == patient_id)["mids"]
            output, _ = await asyncio.wait_for(process.communicate(), 30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        text = output.decode()
        assert process.returncode == 0, text
        assert "waiting for the coach to admit me" in text
        assert "coach video 320x180" in text, text
        assert coach.received[camera_mid["video"]], "the script's camera never arrived"
        await coach.wait_for(
            lambda m: (
                m["type"] == "state" and patient_id not in {p["id"] for p in m["participants"]}
            )
        )  # it left
        await coach.close()

    run(scenario)


SOURCES = ["rtc", "web/room_socket.py", "web/socket_door.py"]
_CODE_PATTERNS = [
    r'(?:SignalingError|Fatal|Refused)\(\s*"([a-z_]+)"',  # error codes
    r'code="([a-z_]+)"',
    r'_fail\("([a-z_]+)"\)',  # reconnect reasons
    r'reason="([a-z_]+)"',
]
_CLOSE_PATTERNS = [
    r'(?:Fatal|Refused)\(\s*"[a-z_]+",\s*(?:f?"[^"]*"|[a-z_.]+),\s*(\d{4})',
    r'terminate\(\s*"[a-z_]+",\s*(\d{4})',
    r"close\((\d{4})\)",
]


def _server_sources() -> str:
    root = DOC.parents[1]
    files: list[Path] = []
    for name in SOURCES:
        path = root / name
        files.extend(sorted(path.glob("*.py")) if path.is_dir() else [path])
    return "\n".join(f.read_text() for f in files)


def test_every_error_code_reason_and_close_code_the_server_sends_is_in_the_doc() -> None:
    source = _server_sources()
    doc = DOC.read_text()
    codes = {c for pattern in _CODE_PATTERNS for c in re.findall(pattern, source)}
    closes = {c for pattern in _CLOSE_PATTERNS for c in re.findall(pattern, source, re.S)}
    # The scan finds what it should (so an empty scan cannot pass).
    assert {"bad_sdp", "not_open", "media_stopped", "connect_timeout", "rate_limited"} <= codes
    assert {"4403", "4410", "4425", "4429"} <= closes
    missing = sorted(c for c in codes if f"`{c}`" not in doc)
    assert not missing, f"sent by the server, not in docs/signaling.md: {missing}"
    missing_closes = sorted(c for c in closes if f"| {c} |" not in doc)
    assert not missing_closes, f"close codes not in the table: {missing_closes}"
