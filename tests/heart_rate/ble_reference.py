"""The Bluetooth Heart Rate Measurement characteristic (0x2A37), as a standard sensor sends it.

Byte 0 holds flags: bit 0 the value is uint16 (else uint8); bits 1-2 sensor contact (bit 2: the
sensor reports contact, bit 1: contact detected); bit 3 an energy-expended uint16 (kJ) follows;
bit 4 RR intervals follow, uint16 each in 1/1024 s, as many as fit. Little-endian throughout.
The browser parses it (web/static/js/heart-rate-sensor.js); this reference parser, checked
against the same byte vectors (ble_vectors.json), is what the browser's parser is held to.
"""

from __future__ import annotations

from dataclasses import dataclass


class MeasurementInvalid(ValueError):
    pass


@dataclass(frozen=True)
class Measurement:
    bpm: int
    contact: bool | None  # None: the sensor does not report contact
    energy_kj: int | None
    rr_ms: tuple[int, ...]


def rr_to_ms(raw: int) -> int:
    """1/1024 s to milliseconds, halves rounded up (integer arithmetic, exactly as the browser)."""
    return (raw * 1000 + 512) // 1024


def parse_measurement(data: bytes) -> Measurement:
    if len(data) < 2:
        raise MeasurementInvalid("too short")
    flags = data[0]
    offset = 1
    if flags & 0x01:
        if len(data) < 3:
            raise MeasurementInvalid("uint16 value missing")
        bpm = int.from_bytes(data[1:3], "little")
        offset = 3
    else:
        bpm = data[1]
        offset = 2
    contact = bool(flags & 0x02) if flags & 0x04 else None
    energy = None
    if flags & 0x08:
        if len(data) < offset + 2:
            raise MeasurementInvalid("energy expended missing")
        energy = int.from_bytes(data[offset : offset + 2], "little")
        offset += 2
    intervals: list[int] = []
    if flags & 0x10:
        rest = data[offset:]
        if len(rest) % 2:
            raise MeasurementInvalid("odd number of RR bytes")
        intervals = [
            rr_to_ms(int.from_bytes(rest[i : i + 2], "little")) for i in range(0, len(rest), 2)
        ]
    return Measurement(bpm, contact, energy, tuple(intervals))
