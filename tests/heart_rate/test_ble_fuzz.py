"""Property-based fuzzing of the 0x2A37 parser the browser runs (web/static/js/heart-rate-sensor.js,
here under the Node.js that Playwright ships): any bytes, and frames built from every flag with
fields cut short or running on, give exactly what the reference parser gives (ble_reference.py),
or are refused by both; the JS parser never throws anything but its own Error."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from playwright._impl._driver import compute_driver_executable

from tests.heart_rate.ble_reference import MeasurementInvalid, parse_measurement

SENSOR_JS = Path(__file__).resolve().parents[2] / "web" / "static" / "js" / "heart-rate-sensor.js"
# Reads a JSON list of hex frames on stdin; prints, per frame, the parse or the error's class.
_RUN = """
const m = await import(process.argv[1]);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = JSON.parse(input).map((hex) => {
  const bytes = Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
  try { return m.parseHeartRateMeasurement(bytes); }
  catch (e) { return { refused: e.constructor.name }; }
});
console.log(JSON.stringify(out));
"""
FRAMES = st.binary(max_size=24) | st.builds(
    lambda flags, rest: bytes([flags]) + rest,
    st.integers(min_value=0, max_value=255),
    st.binary(max_size=12),
)


def _browser_parse(frames: list[bytes]) -> list[dict[str, object]]:
    node = compute_driver_executable()[0]
    done = subprocess.run(
        [node, "--input-type=module", "-e", _RUN, SENSOR_JS.as_uri()],
        input=json.dumps([f.hex() for f in frames]),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return list(json.loads(done.stdout))


def _reference(frame: bytes) -> dict[str, object]:
    try:
        parsed = parse_measurement(frame)
    except MeasurementInvalid:
        return {"refused": "Error"}
    return {
        "bpm": parsed.bpm,
        "contact": parsed.contact,
        "energyKj": parsed.energy_kj,
        "rrMs": list(parsed.rr_ms),
    }


@settings(max_examples=5, deadline=None)
@given(st.lists(FRAMES, min_size=100, max_size=300))
def test_the_browser_parser_agrees_with_the_reference_on_any_bytes(frames: list[bytes]) -> None:
    assert _browser_parse(frames) == [_reference(f) for f in frames]
