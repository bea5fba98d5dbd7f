"""Media for tests: real VP8 frames encoded once by libvpx, and tracks that send them as is."""

from __future__ import annotations

import asyncio
import fractions
import functools
import time

import av
from aiortc.mediastreams import MediaStreamTrack

VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
AUDIO_TIME_BASE = fractions.Fraction(1, 48000)


def _picture(width: int, height: int, index: int) -> av.VideoFrame:
    """A moving gradient with a bright block whose position encodes `index` (cheap to make)."""
    frame = av.VideoFrame(width, height, "yuv420p")
    row = bytes((x * 2 + index * 6) & 0xFF for x in range(width))
    luma = bytearray(row * height)
    block_x = (index * 16) % max(width - 32, 1)
    for y in range(height // 3, height // 3 + 32):
        luma[y * width + block_x : y * width + block_x + 32] = b"\xeb" * 32
    frame.planes[0].update(bytes(luma))
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    frame.planes[1].update(chroma)
    frame.planes[2].update(chroma)
    return frame


@functools.cache
def vp8_frames(
    count: int = 60, width: int = 320, height: int = 180, fps: int = 30
) -> tuple[bytes, ...]:
    """`count` encoded VP8 frames, the first a keyframe; looping them is a valid stream."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.bit_rate = 500_000
    codec.time_base = fractions.Fraction(1, fps)
    codec.gop_size = 10_000
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    frames: list[bytes] = []
    for index in range(count):
        picture = _picture(width, height, index)
        picture.pts = index
        picture.time_base = codec.time_base
        frames.extend(bytes(p) for p in codec.encode(picture))
    frames.extend(bytes(p) for p in codec.encode(None))
    return tuple(frames[:count])


@functools.cache
def opus_frames(count: int = 50) -> tuple[bytes, ...]:
    """`count` encoded 20 ms Opus frames of a quiet tone."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.format, codec.layout = 48000, "s16", "stereo"
    codec.bit_rate = 32_000
    frames: list[bytes] = []
    index = 0
    while len(frames) < count:
        audio = av.AudioFrame(format="s16", layout="stereo", samples=960)
        audio.planes[0].update(bytes((i * 7 + index) & 0x3F for i in range(960 * 4)))
        audio.pts, audio.sample_rate = index * 960, 48000
        audio.time_base = AUDIO_TIME_BASE
        frames.extend(bytes(p) for p in codec.encode(audio))
        index += 1
    return tuple(frames[:count])


class EncodedVideoTrack(MediaStreamTrack):
    """Sends pre-encoded VP8 frames at `fps`. Frame 0 is the only keyframe and is sent only at the
    start and when a keyframe is requested (a PLI reached `restart_at_keyframe`); otherwise the
    delta frames repeat. Nothing here is decoded, so only the keyframe flags need to be real."""

    kind = "video"

    def __init__(self, frames: tuple[bytes, ...], fps: int = 30, laps_start_at: int = 1) -> None:
        super().__init__()
        self.frames = frames
        self.fps = fps
        self.laps_start_at = laps_start_at  # 0: every lap starts with the keyframe
        self.sent: list[tuple[bytes, float]] = []  # (frame, monotonic time handed to the sender)
        self.keyframe_requests = 0
        self._index = 0
        self._next = 0
        self._start: float | None = None
        self._count = 0

    def restart_at_keyframe(self) -> None:
        self.keyframe_requests += 1
        self._next = 0

    async def recv(self) -> av.Packet:
        if self._start is None:
            self._start = time.monotonic()
        target = self._start + self._count / self.fps
        await asyncio.sleep(max(0.0, target - time.monotonic()))
        data = self.frames[self._next]
        self._next = self._next + 1 if self._next + 1 < len(self.frames) else self.laps_start_at
        packet = av.Packet(data)
        packet.pts = self._count * (90000 // self.fps)
        packet.time_base = VIDEO_TIME_BASE
        self._count += 1
        self.sent.append((data, time.monotonic()))
        return packet


class EncodedAudioTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, frames: tuple[bytes, ...]) -> None:
        super().__init__()
        self.frames = frames
        self.sent: list[bytes] = []
        self._count = 0
        self._start: float | None = None

    async def recv(self) -> av.Packet:
        if self._start is None:
            self._start = time.monotonic()
        await asyncio.sleep(max(0.0, self._start + self._count * 0.02 - time.monotonic()))
        data = self.frames[self._count % len(self.frames)]
        packet = av.Packet(data)
        packet.pts = self._count * 960
        packet.time_base = AUDIO_TIME_BASE
        self._count += 1
        self.sent.append(data)
        return packet
