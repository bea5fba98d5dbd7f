"""The Heart Rate Measurement (0x2A37) parser against byte vectors covering every flag combination;
the browser test runs the same vectors through web/static/js/heart-rate-sensor.js."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.heart_rate.ble_reference import MeasurementInvalid, parse_measurement

VECTORS = json.loads((Path(__file__).parent / "ble_vectors.json").read_text())


def test_the_vectors_cover_every_flag_combination() -> None:
    flags = {int(v["hex"][:2], 16) & 0x1F for v in VECTORS["valid"]}
    assert flags == set(range(32))


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_valid_measurement(vector: dict) -> None:
    parsed = parse_measurement(bytes.fromhex(vector["hex"]))
    assert parsed.bpm == vector["bpm"]
    assert parsed.contact == vector["contact"]
    assert parsed.energy_kj == vector["energy_kj"]
    assert list(parsed.rr_ms) == vector["rr_ms"]


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
def test_truncated_measurement_is_refused(vector: dict) -> None:
    with pytest.raises(MeasurementInvalid):
        parse_measurement(bytes.fromhex(vector["hex"]))
