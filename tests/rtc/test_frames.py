"""Rebuilding encoded frames from RTP packets: in order, out of order, with losses."""

from __future__ import annotations

from aiortc.rtp import RtpPacket

from rtc.frames import HOLD_SECONDS, OpusAssembler, Vp8Assembler, is_vp8_keyframe

KEY = b"\x10\x02\x00\x9d\x01\x2a" + b"K" * 10  # frame tag bit 0 = 0: a key frame
DELTA = b"\x31" + b"D" * 10


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def packets(seq: int, ts: int, frame: bytes, parts: int = 3) -> list[RtpPacket]:
    """`frame` split into `parts` RTP packets with VP8 descriptors, as a sender would."""
    size = -(-len(frame) // parts)
    chunks = [frame[i : i + size] for i in range(0, len(frame), size)]
    out = []
    for index, chunk in enumerate(chunks):
        descriptor = b"\x10" if index == 0 else b"\x00"  # S bit on the first, partition 0
        packet = RtpPacket(
            payload_type=97,
            sequence_number=(seq + index) & 0xFFFF,
            timestamp=ts,
            marker=int(index == len(chunks) - 1),
            payload=descriptor + chunk,
        )
        packet._data = chunk  # what the receiver's depayloader leaves for us
        out.append(packet)
    return out


def feed(assembler: Vp8Assembler, items: list[RtpPacket]) -> tuple[list[bytes], bool]:
    frames, lost = [], False
    for packet in items:
        ready, gone = assembler.add(packet)
        frames += [f.data for f in ready]
        lost = lost or gone
    return frames, lost


def test_keyframe_flag() -> None:
    assert is_vp8_keyframe(KEY) and not is_vp8_keyframe(DELTA) and not is_vp8_keyframe(b"")


def test_a_frame_is_released_with_its_last_packet() -> None:
    assembler = Vp8Assembler()
    first = packets(100, 3000, KEY)
    assert feed(assembler, first[:-1]) == ([], False)
    ready, lost = assembler.add(first[-1])
    assert [f.data for f in ready] == [KEY] and ready[0].keyframe and ready[0].timestamp == 3000
    assert not lost


def test_reordered_packets_and_frames_come_out_in_order() -> None:
    assembler = Vp8Assembler()
    one, two = packets(65534, 0, KEY), packets(1, 3000, DELTA)  # across the 16-bit wrap
    frames, lost = feed(assembler, [one[2], one[0], two[0], two[2], two[1], one[1]])
    assert frames == [KEY, DELTA] and not lost
    # A duplicate of a released packet changes nothing.
    assert feed(assembler, [one[1]]) == ([], False)


def test_a_lost_frame_is_given_up_after_the_hold_time() -> None:
    clock = Clock()
    assembler = Vp8Assembler(clock)
    key, missing, after = packets(10, 0, KEY), packets(13, 3000, DELTA), packets(16, 6000, DELTA)
    assert feed(assembler, key) == ([KEY], False)
    frames, lost = feed(assembler, [missing[0], missing[2], *after])  # missing[1] never comes
    assert (frames, lost) == ([], False)  # waiting for the retransmission
    clock.now += HOLD_SECONDS + 0.01
    ready, lost = assembler.add(packets(19, 9000, DELTA)[0])
    assert [f.data for f in ready] == [DELTA] and lost  # the next complete one, and a loss
    late, lost_again = assembler.add(missing[1])  # the retransmission arrives too late
    assert late == [] and not lost_again


def test_opus_packets_are_frames_and_late_ones_are_dropped() -> None:
    assembler = OpusAssembler()
    made = []
    for seq in (5, 6, 8, 7, 9):
        packet = RtpPacket(
            payload_type=96, sequence_number=seq, timestamp=seq * 960, payload=bytes([seq])
        )
        packet._data = bytes([seq])
        made += [f.data for f in assembler.add(packet)[0]]
    assert made == [b"\x05", b"\x06", b"\x08", b"\x09"]
