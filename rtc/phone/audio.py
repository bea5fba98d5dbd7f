"""The phone bridge's audio: G.711 μ-law at 8 kHz on the phone side, Opus at 48 kHz in the room.

Everything goes through PyAV (the FFmpeg codecs aiortc itself uses): `pcm_mulaw` for G.711,
`libopus` for Opus and `AudioResampler` between the rates. Samples between steps are 16-bit
signed little-endian PCM held in `bytes`; mixing sums them without dividing (so nobody gets quieter
as others join) and clips.
"""

from __future__ import annotations

import array
import fractions
import sys
from collections.abc import Iterable
from typing import Literal

import av
from av import AudioCodecContext, AudioFrame, AudioResampler, CodecContext

PHONE_RATE = 8000
ROOM_RATE = 48000
FRAME_MS = 20
PHONE_SAMPLES = PHONE_RATE * FRAME_MS // 1000  # 160 samples: one μ-law frame is 160 bytes
ROOM_SAMPLES = ROOM_RATE * FRAME_MS // 1000  # 960: one Opus frame
_PHONE_TIME_BASE = fractions.Fraction(1, PHONE_RATE)
_ROOM_TIME_BASE = fractions.Fraction(1, ROOM_RATE)
SILENCE = bytes(PHONE_SAMPLES * 2)


def _codec(
    name: Literal["pcm_mulaw", "libopus"], mode: Literal["r", "w"], rate: int, layout: str = "mono"
) -> AudioCodecContext:
    codec = CodecContext.create(name, mode)
    codec.format = "s16"
    codec.layout = layout
    codec.sample_rate = rate
    return codec


def _pcm_frame(pcm: bytes, rate: int, layout: str = "mono") -> AudioFrame:
    channels = 2 if layout == "stereo" else 1
    frame = AudioFrame(format="s16", layout=layout, samples=len(pcm) // (2 * channels))
    frame.planes[0].update(pcm)
    frame.sample_rate = rate
    return frame


def _frame_bytes(frame: AudioFrame) -> bytes:
    # A plane can be padded past the samples it holds.
    return bytes(frame.planes[0])[: frame.samples * 2 * len(frame.layout.channels)]


class CallerToRoom:
    """The caller's μ-law frames in, Opus frames for the room out (48 kHz, 20 ms each)."""

    def __init__(self) -> None:
        self._mulaw = _codec("pcm_mulaw", "r", PHONE_RATE)
        self._resampler = AudioResampler(
            format="s16", layout="mono", rate=ROOM_RATE, frame_size=ROOM_SAMPLES
        )
        self._opus = _codec("libopus", "w", ROOM_RATE)
        self._opus.time_base = _ROOM_TIME_BASE
        self._opus.bit_rate = 32000
        self._opus.options = {"application": "voip"}

    def encode(self, mulaw: bytes) -> list[bytes]:
        packet = av.Packet(mulaw)
        packet.time_base = _PHONE_TIME_BASE
        out: list[bytes] = []
        for decoded in self._mulaw.decode(packet):
            decoded.pts = None
            for frame in self._resampler.resample(decoded):
                out.extend(bytes(p) for p in self._opus.encode(frame))
        return out


class RoomToCaller:
    """One room participant's Opus frames in, 8 kHz mono PCM out (for the caller's mix)."""

    def __init__(self) -> None:
        self._opus = _codec("libopus", "r", ROOM_RATE, "stereo")
        self._resampler = AudioResampler(format="s16", layout="mono", rate=PHONE_RATE)

    def decode(self, opus: bytes) -> bytes:
        packet = av.Packet(opus)
        packet.time_base = _ROOM_TIME_BASE
        pcm = bytearray()
        for decoded in self._opus.decode(packet):
            decoded.pts = None
            for frame in self._resampler.resample(decoded):
                pcm += _frame_bytes(frame)
        return bytes(pcm)


class MulawEncoder:
    """8 kHz PCM (one 20 ms frame at a time) to μ-law bytes for Twilio."""

    def __init__(self) -> None:
        self._codec = _codec("pcm_mulaw", "w", PHONE_RATE)
        self._codec.time_base = _PHONE_TIME_BASE

    def encode(self, pcm: bytes) -> bytes:
        frame = _pcm_frame(pcm, PHONE_RATE)
        return b"".join(bytes(p) for p in self._codec.encode(frame))


def mix(frames: Iterable[bytes]) -> bytes:
    """Sum 20 ms frames of 8 kHz PCM, clipped to 16 bits; silence when there are none."""
    inputs = [array.array("h", f) for f in frames]
    if not inputs:
        return SILENCE
    if sys.byteorder != "little":
        for samples in inputs:
            samples.byteswap()
    if len(inputs) == 1:
        mixed = inputs[0]
    else:
        mixed = array.array(
            "h", (max(-32768, min(32767, sum(column))) for column in zip(*inputs, strict=True))
        )
    if sys.byteorder != "little":
        mixed.byteswap()
    return mixed.tobytes()
