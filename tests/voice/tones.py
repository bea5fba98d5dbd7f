"""Test tones: sine waves as μ-law (what a phone sends) and Opus (what a browser sends), and
Goertzel's algorithm to tell which tone a stretch of audio holds."""

from __future__ import annotations

import array
import fractions
import math

import av

PHONE_RATE = 8000
ROOM_RATE = 48000


def sine(freq: float, rate: int, samples: int, start: int = 0, amplitude: int = 8000) -> bytes:
    return array.array(
        "h",
        (
            int(amplitude * math.sin(2 * math.pi * freq * (start + i) / rate))
            for i in range(samples)
        ),
    ).tobytes()


def mulaw_encode(pcm: bytes) -> bytes:
    codec = av.CodecContext.create("pcm_mulaw", "w")
    codec.format, codec.layout, codec.sample_rate = "s16", "mono", PHONE_RATE
    frame = av.AudioFrame(format="s16", layout="mono", samples=len(pcm) // 2)
    frame.planes[0].update(pcm)
    frame.sample_rate = PHONE_RATE
    return b"".join(bytes(p) for p in codec.encode(frame))


# G.711 μ-law decoded by its definition (ITU-T G.711), a table of the 256 codes: the test's
# own decoder, independent of the FFmpeg codec the server uses.
def _mulaw_value(code: int) -> int:
    code = ~code & 0xFF
    magnitude = (((code & 0x0F) << 3) + 0x84) << ((code & 0x70) >> 4)
    return (0x84 - magnitude) if code & 0x80 else (magnitude - 0x84)


_MULAW = array.array("h", (_mulaw_value(c) for c in range(256)))


def mulaw_decode(mulaw: bytes) -> bytes:
    return array.array("h", (_MULAW[c] for c in mulaw)).tobytes()


def opus_tone(freq: float, count: int, beep: tuple[int, int] | None = None) -> tuple[bytes, ...]:
    """`count` 20 ms Opus frames (48 kHz stereo) of a tone; 50 frames loop without a click at
    any whole-number frequency. `beep` (on, cycle): the tone for the first `on` frames of every
    `cycle`, silence between."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.format, codec.layout = ROOM_RATE, "s16", "stereo"
    codec.bit_rate = 64_000
    frames: list[bytes] = []
    index = 0
    while len(frames) < count:
        loud = beep is None or index % beep[1] < beep[0]
        mono = array.array("h", sine(freq, ROOM_RATE, 960, index * 960) if loud else bytes(1920))
        stereo = array.array("h", (s for s in mono for _ in (0, 1)))
        audio = av.AudioFrame(format="s16", layout="stereo", samples=960)
        audio.planes[0].update(stereo.tobytes())
        audio.pts, audio.sample_rate = index * 960, ROOM_RATE
        audio.time_base = fractions.Fraction(1, ROOM_RATE)
        frames.extend(bytes(p) for p in codec.encode(audio))
        index += 1
    return tuple(frames[:count])


def opus_decode(frames: list[bytes]) -> bytes:
    """Opus frames to 48 kHz mono PCM (the left channel)."""
    codec = av.CodecContext.create("libopus", "r")
    codec.sample_rate, codec.format, codec.layout = ROOM_RATE, "s16", "stereo"
    out = array.array("h")
    for data in frames:
        for frame in codec.decode(av.Packet(data)):
            samples = array.array("h", bytes(frame.planes[0])[: frame.samples * 4])
            out.extend(samples[0::2])
    return out.tobytes()


def tone_power(pcm: bytes, freq: float, rate: int) -> float:
    """Goertzel: the share of the signal's energy at `freq` (0 for silence)."""
    samples = array.array("h", pcm)
    if not samples:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * freq / rate)
    s_prev = s_prev2 = 0.0
    for x in samples:
        s = x + coeff * s_prev - s_prev2
        s_prev2, s_prev = s_prev, s
    power = s_prev2**2 + s_prev**2 - coeff * s_prev * s_prev2
    energy = sum(float(x) * x for x in samples)
    return 0.0 if energy == 0 else power / (energy * len(samples) / 2)


def median_tone_power(pcm: bytes, freq: float, rate: int, block_ms: int = 100) -> float:
    """`tone_power` per block of `block_ms`, the median over blocks that hold sound: a dropped or
    inserted frame (a busy machine) breaks the phase of a long window, not of most blocks."""
    size = rate * block_ms // 1000 * 2
    blocks = [pcm[i : i + size] for i in range(0, len(pcm) - size + 1, size)]
    powers = sorted(tone_power(b, freq, rate) for b in blocks if any(b))
    return powers[len(powers) // 2] if powers else 0.0
