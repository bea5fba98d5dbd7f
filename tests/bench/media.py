"""Forwarding encoded video: one publisher, N subscribers, against a re-encoding baseline.

Ours: a real `telecoach serve` hosting one class; the coach publishes 640x360 VP8 at 30 fps (real
libvpx frames, pre-encoded; a keyframe at the start and when asked) and N patients receive it,
every client an aiortc peer in processes of their own. The server forwards the encoded frames.
Baseline, in the same run: a relay built on aiortc's `MediaRelay` (decode once, encode once per
subscriber, which is what aiortc does without our seam), same publisher and frames.

Measured for each, over one fixed window:
- CPU: the server process's utime + stime from /proc, per forwarded stream (divided by the frames
  delivered, counted in full-rate 30 fps streams; loopback also bills the receivers' kernel work
  to the sender, so this overstates a real NIC).
- Frame rate: what each subscriber receives (`slowest_subscriber_fps` too).
- Latency: from the publisher's track handing a frame to its sender (before the publisher's own
  packetizing) to a probe subscriber holding the complete frame (after its own SRTP, RTP and
  reassembly work), matched by the frame's bytes. That span includes both clients' Python work
  and, on a busy 2-core machine, their waits for a CPU. So a **loopback baseline** runs through
  the same window: the same publisher track and the same probe code connected to each other
  directly, no server in between. `added_latency_p95_ms` is the forwarded path's p95 less the
  direct pair's p95 (p50 likewise): what the server adds. The probes are 4 connections in one
  process (the direct pair is 1), so the forwarded side still carries up to ~0.5 ms of the probe
  process handling its other connections' copies of the same frame.
- Diagnostics: the server's UDP receive-buffer drops, keyframes the publisher sent in the window
  (each a burst of ~130 packets here: this content's keyframe is 170 KB), the clients' CPU, what
  other processes used, and `loadavg`.

Where the server's latency comes from (measured, 16 subscribers): the fan-out is sequential on one
event loop. When a frame is complete every subscriber's sender task is woken, and each one packs,
serializes, SRTP-protects and sends it in aiortc's per-packet Python loop (~60 us of CPU per
subscriber for a one-packet frame), so the k-th subscriber waits for the k-1 before it: the median
wait grew by ~90 us per position (0.1 ms first, 1.5 ms for the 16th), the p95 by up to ~450 us per
position while other processes competed for the CPU. Nothing waits for a timer; the frame leaves
the moment its last packet is in (rtc/frames.py).

Capacity: `--streams N` forwards N streams with the server pinned to one core
(`sched_setaffinity` before exec, so every thread inherits it) and the clients to the other(s),
and reports the server's share of that core and the whole core's busy share (other processes
land there too). `max_streams_one_core` is then N, *measured*, when every subscriber got full rate
(>= 95% of 30 fps); otherwise, and in runs without `--streams`, it is extrapolated from the CPU
per stream; `max_streams_one_core_basis` says which. Pinning keeps the clients' wake-ups off the
server's core but also keeps the server from escaping other load onto the free core, so latency
from a pinned run on a shared machine measures that core's queue.

    .venv/bin/python tests/bench/media.py --quick                # under a minute
    .venv/bin/python tests/bench/media.py --streams 100          # the capacity target, pinned
    BENCH_PROFILE=/tmp/server.prof .venv/bin/python tests/bench/media.py --quick
                                       # the server's CPU profile (thread CPU time, not wall time)

Figures are printed; the last line is one JSON object: forwarded_streams, cpu_per_stream_pct,
baseline_cpu_per_stream_pct, cpu_ratio, delivered_fps, added_latency_p95_ms,
max_streams_one_core, and the figures above.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
TELECOACH = str(Path(sys.executable).with_name("telecoach"))
WIDTH, HEIGHT, FPS, GOP = 640, 360, 30, 90
BITS, BLOCK = 7, 40  # the frame number, drawn as 7 black or white 40 px squares
FULL_RATE = 0.95  # the slowest subscriber's share of the frame rate that counts as full rate
PROBES = 4  # subscribers whose every frame is timed (where they sit in the fan-out varies)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all processes on this machine have used (for the load others add)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def pin(cpus: list[int] | None) -> None:
    """Keep this process (and the threads it starts later) on `cpus`, when given."""
    if cpus:
        os.sched_setaffinity(0, cpus)


def core_busy_seconds(cpus: list[int]) -> float:
    """CPU seconds the given cores spent busy, whatever ran on them."""
    busy = 0
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus:
            fields = [int(x) for x in values[:8]]
            busy += sum(fields) - fields[3] - fields[4]
    return busy / os.sysconf("SC_CLK_TCK")


def udp_drops(pid: int) -> int:
    """Datagrams the kernel dropped because a socket of `pid` had a full receive buffer."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    drops = 0
    for table in ("udp", "udp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                drops += int(fields[-1])
    return drops


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


# --- the video: real VP8, a frame number in the picture ----------------------------------------


def encode_frames(path: Path) -> None:
    """GOP frames of moving, textured 640x360 video (real content costs an encoder real work)."""
    import av

    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    codec.bit_rate, codec.time_base = 700_000, fractions.Fraction(1, FPS)
    codec.gop_size = 10_000
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    texture = bytes((x * 7 + (x // 13) * 31 + (x * x) % 251) & 0xFF for x in range(WIDTH * 3))
    frames: list[bytes] = []
    for index in range(GOP):
        luma = bytearray()
        for y in range(HEIGHT):
            start = (y * 5 + index * 9) % (WIDTH * 2)
            luma += texture[start : start + WIDTH]
        for bit in range(BITS):  # the frame number, readable after any re-encoding
            value = 235 if index >> bit & 1 else 16
            for y in range(BLOCK):
                row = y * WIDTH + bit * (BLOCK + 8)
                luma[row : row + BLOCK] = bytes([value]) * BLOCK
        picture = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        picture.planes[0].update(bytes(luma))
        chroma = bytes([110 + index % 40]) * (WIDTH // 2 * HEIGHT // 2)
        picture.planes[1].update(chroma)
        picture.planes[2].update(chroma)
        picture.pts, picture.time_base = index, codec.time_base
        frames.extend(bytes(p) for p in codec.encode(picture))
    frames.extend(bytes(p) for p in codec.encode(None))
    path.write_bytes(json.dumps([f.hex() for f in frames[:GOP]]).encode())


def load_frames(path: Path) -> list[bytes]:
    return [bytes.fromhex(h) for h in json.loads(path.read_bytes())]


def read_frame_number(frame: Any) -> int:
    plane = frame.planes[0]
    data, stride = bytes(plane), plane.line_size
    middle = BLOCK // 2
    return sum(
        1 << bit for bit in range(BITS) if data[middle * stride + bit * (BLOCK + 8) + middle] > 128
    )


# --- clients, each kind in its own process -------------------------------------------------------


def publisher_process(target: dict[str, Any], frames_path: str, stop: Any, out: Any) -> None:
    """Sends the frames at 30 fps until told to stop; reports (frame number, hand-off time)."""
    from tests.rtc.client import RoomClient
    from tests.rtc.media import EncodedVideoTrack

    pin(target.get("client_cpus"))

    async def run() -> list[tuple[int, float]]:
        frames = tuple(load_frames(Path(frames_path)))
        # A browser sends a keyframe at the start and when asked (PLI), so do we; the baseline
        # re-encodes and needs every lap decodable, so there each lap starts with the keyframe.
        track = EncodedVideoTrack(frames, FPS, laps_start_at=target["laps_start_at"])
        numbers = {data: i for i, data in enumerate(frames)}
        client = RoomClient(
            target["url"], target["occurrence"], target["publisher_cookie"], video=track
        )
        await client.connect()
        await client.expect("welcome")
        await client.join()
        await asyncio.get_running_loop().run_in_executor(None, stop.get)
        await client.close()
        return [(numbers[data], at) for data, at in track.sent]

    out.put(asyncio.run(run()))


def subscriber_process(
    target: dict[str, Any],
    cookies: list[str],
    frames_path: str,
    probe: bool,
    ready: Any,
    window: Any,
    out: Any,
) -> None:
    """Receives on each cookie's connection and counts video frames inside the window; in the
    (lightly loaded) probe process every connection also logs (frame number, arrival)."""
    from tests.rtc.client import RoomClient

    pin(target.get("client_cpus"))
    numbers = {data: i for i, data in enumerate(load_frames(Path(frames_path)))}

    async def run() -> dict[str, Any]:
        counts = [0] * len(cookies)
        arrivals: list[tuple[int, float]] = []
        receiving = asyncio.Event()
        span = [float("inf"), float("-inf")]
        clients = []
        for index, cookie in enumerate(cookies):
            logging = probe

            def seen(
                kind: str, frame: Any, at: float, index: int = index, logging: bool = logging
            ) -> None:
                if kind != "video":
                    return
                receiving.set()
                if not span[0] <= at <= span[1]:
                    return
                counts[index] += 1
                if logging:  # encoded frames (ours) by their bytes, decoded ones by the picture
                    encoded = getattr(frame, "data", None)
                    number = numbers.get(encoded) if encoded else read_frame_number(frame)
                    if number is not None:
                        arrivals.append((number, at))

            client = RoomClient(
                target["url"],
                target["occurrence"],
                cookie,
                on_frame=seen,
                decode=logging and target["decode_probe"],
                estimate_bandwidth=False,
            )
            await client.connect()
            await client.expect("welcome")
            await client.join()
            clients.append(client)
        await asyncio.wait_for(receiving.wait(), 90)
        ready.put(os.getpid())
        span[0], span[1] = await asyncio.get_running_loop().run_in_executor(None, window.get)
        while time.monotonic() < span[1] + 0.3:
            await asyncio.sleep(0.1)
        for client in clients:
            await client.close()
        return {"counts": counts, "arrivals": arrivals}

    out.put(asyncio.run(run()))


def direct_publisher_process(
    cpus: list[int] | None, frames_path: str, offers: Any, answers: Any, stop: Any, out: Any
) -> None:
    """The loopback baseline's sender: the same track as the publisher, answering a peer's offer
    directly (no server in between)."""
    pin(cpus)
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from rtc.seam import relay_keyframe_requests, stop_consent_checks
    from tests.rtc.media import EncodedVideoTrack

    async def run() -> list[tuple[int, float]]:
        frames = tuple(load_frames(Path(frames_path)))
        numbers = {data: i for i, data in enumerate(frames)}
        track = EncodedVideoTrack(frames, FPS, laps_start_at=1)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # loopback: no STUN
        loop = asyncio.get_running_loop()
        offer = await loop.run_in_executor(None, offers.get)
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        transceiver = pc.getTransceivers()[0]
        transceiver.sender.replaceTrack(track)
        transceiver.direction = "sendonly"
        relay_keyframe_requests(transceiver.sender, track.restart_at_keyframe)
        await pc.setLocalDescription(await pc.createAnswer())
        answers.put(pc.localDescription.sdp)
        await loop.run_in_executor(None, stop.get)
        await pc.close()
        await stop_consent_checks(pc)
        return [(numbers[data], at) for data, at in track.sent]

    out.put(asyncio.run(run()))


def direct_subscriber_process(
    cpus: list[int] | None,
    frames_path: str,
    offers: Any,
    answers: Any,
    ready: Any,
    window: Any,
    out: Any,
) -> None:
    """The loopback baseline's receiver: frames reassembled and timed exactly as in the probe
    subscribers (same tap, same assembler, same clock), declining abs-send-time like them."""
    pin(cpus)
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.rtcrtpsender import RTCRtpSender

    from rtc.frames import Vp8Assembler
    from rtc.seam import stop_consent_checks, tap_receiver

    numbers = {data: i for i, data in enumerate(load_frames(Path(frames_path)))}

    async def run() -> dict[str, Any]:
        arrivals: list[tuple[int, float]] = []
        span = [float("inf"), float("-inf")]
        count = [0]
        receiving = asyncio.Event()
        assembler = Vp8Assembler()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # loopback: no STUN
        transceiver = pc.addTransceiver("video", direction="recvonly")
        wanted = ("video/VP8", "video/rtx")
        transceiver.setCodecPreferences(
            [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType in wanted]
        )

        def collect(packet: Any) -> None:
            frames, _ = assembler.add(packet)
            now = time.monotonic()
            for frame in frames:
                receiving.set()
                if span[0] <= now <= span[1]:
                    count[0] += 1
                    number = numbers.get(frame.data)
                    if number is not None:
                        arrivals.append((number, now))

        tap_receiver(transceiver.receiver, collect)
        await pc.setLocalDescription(await pc.createOffer())
        lines = pc.localDescription.sdp.split("\r\n")
        offers.put("\r\n".join(line for line in lines if "abs-send-time" not in line))
        loop = asyncio.get_running_loop()
        answer = await loop.run_in_executor(None, answers.get)
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await asyncio.wait_for(receiving.wait(), 90)
        ready.put(os.getpid())
        span[0], span[1] = await loop.run_in_executor(None, window.get)
        while time.monotonic() < span[1] + 0.3:
            await asyncio.sleep(0.1)
        await pc.close()
        await stop_consent_checks(pc)
        return {"counts": count, "arrivals": arrivals}

    out.put(asyncio.run(run()))


def drive(
    target: dict[str, Any],
    server_pid: int,
    subscribers: int,
    seconds: float,
    frames_path: Path,
    processes: int,
    direct: bool = False,
) -> dict[str, Any]:
    """The publisher, the subscribers in `processes` processes plus a lightly loaded probe
    process, and one measured window of server CPU and delivered frames. With `direct`, a
    publisher/subscriber pair connected to each other (no server) runs through the same window:
    the loopback baseline for latency."""
    context = multiprocessing.get_context("spawn")
    ready, results, sends, stop = (context.Queue() for _ in range(4))
    cookies = target["subscriber_cookies"][:subscribers]
    probes = min(PROBES, max(1, subscribers // 4))
    spread = [cookies[probes + i :: processes] for i in range(processes)]
    groups = [g for g in [cookies[:probes], *spread] if g]
    windows = [context.Queue() for _ in groups]
    publisher = context.Process(
        target=publisher_process, args=(target, str(frames_path), stop, sends)
    )
    publisher.start()
    workers = [
        context.Process(
            target=subscriber_process,
            args=(target, group, str(frames_path), i == 0, ready, windows[i], results),
        )
        for i, group in enumerate(groups)
    ]
    pair: list[Any] = []
    if direct:
        offers, answers, direct_sends, direct_results, direct_stop = (
            context.Queue() for _ in range(5)
        )
        windows.append(context.Queue())
        cpus = target.get("client_cpus")
        pair = [
            context.Process(
                target=direct_publisher_process,
                args=(cpus, str(frames_path), offers, answers, direct_stop, direct_sends),
            ),
            context.Process(
                target=direct_subscriber_process,
                args=(cpus, str(frames_path), offers, answers, ready, windows[-1], direct_results),
            ),
        ]
    for worker in (*workers, *pair):
        worker.start()
    for _ in range(len(workers) + len(pair) // 2):
        ready.get(timeout=300)
    time.sleep(1.5)  # every subscriber settles at full rate
    start = time.monotonic()
    end = start + seconds
    for queue in windows:
        queue.put((start, end))
    clients = (publisher, *workers, *pair)
    server_cpus = target.get("server_cpus") or list(os.sched_getaffinity(server_pid))
    cpu_start = cpu_seconds(server_pid)
    core_start = core_busy_seconds(server_cpus)
    clients_start = sum(cpu_seconds(p.pid) for p in clients)
    machine_start = machine_busy_seconds()
    time.sleep(end - time.monotonic())
    cpu_used = cpu_seconds(server_pid) - cpu_start
    drops = udp_drops(server_pid)
    core_used = core_busy_seconds(server_cpus) - core_start
    clients_used = sum(cpu_seconds(p.pid) for p in clients) - clients_start
    others_used = machine_busy_seconds() - machine_start - cpu_used - clients_used
    received = [results.get(timeout=60) for _ in workers]
    stop.put(True)
    sent = sends.get(timeout=60)
    figures: dict[str, Any] = {}
    if pair:
        direct_received = direct_results.get(timeout=60)
        direct_stop.put(True)
        direct_sent = direct_sends.get(timeout=60)
        figures["direct_latency_ms"] = latency_ms(direct_sent, direct_received["arrivals"])
        figures["direct_fps"] = direct_received["counts"][0] / seconds
    for process in clients:
        process.join(30)
    return {
        **figures,
        "cpu_pct": 100 * cpu_used / seconds,
        "server_cores": len(server_cpus),
        "server_core_busy_pct": 100 * core_used / seconds / len(server_cpus),
        "clients_cpu_pct": 100 * clients_used / seconds,
        "others_cpu_pct": 100 * others_used / seconds,
        "fps": [count / seconds for r in received for count in r["counts"]],
        "latency_ms": latency_ms(sent, [a for r in received for a in r["arrivals"]]),
        "server_udp_drops": drops,
        "keyframes_sent": sum(1 for number, at in sent if number == 0 and start <= at <= end),
    }


def latency_ms(sent: list[tuple[int, float]], arrivals: list[tuple[int, float]]) -> list[float]:
    """Each arrival against the latest hand-off of that frame number before it."""
    handed: dict[int, list[float]] = {}
    for number, at in sent:
        handed.setdefault(number, []).append(at)
    found = []
    for number, at in arrivals:
        earlier = [t for t in handed.get(number, []) if t <= at]
        if earlier and at - earlier[-1] < GOP / FPS / 2:
            found.append(1000 * (at - earlier[-1]))
    return found


# --- the two servers ----------------------------------------------------------------------------


def start_telecoach(
    tmp: Path, subscribers: int, cpus: list[int] | None = None
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    from datetime import timedelta

    from sqlmodel import select

    from coach import classes, patients
    from coach.database import Database
    from coach.models import ClassOccurrence, StaffUser, utcnow
    from telecoach.migrate import upgrade
    from web.auth import sessions

    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)

    def seed(session: Any) -> dict[str, Any]:
        coach = StaffUser(email="bench@example.org", name="Bench Coach", role="coach")
        session.add(coach)
        session.flush()
        series = classes.create_series(
            session,
            coach.id,
            {
                "title": "Bench",
                "description": "",
                "time_zone": "UTC",
                "first_start_local": (utcnow() + timedelta(hours=1)).replace(
                    tzinfo=None, microsecond=0
                ),
                "duration_minutes": 60,
                "rrule": None,
                "capacity": subscribers,
                "auto_admit": True,
            },
        )
        cookies = []
        for i in range(subscribers):
            values = patients.parse_patient_input(
                {"name": f"Patient {i}", "phone": f"+1555555{i:04d}", "time_zone": "UTC"},
                ("en", "es"),
            )
            patient = patients.create_patient(session, coach.id, values)
            classes.enroll(session, series, patient)
            cookies.append(sessions.start(session, patient_id=patient.id)[1])
        occurrence = session.exec(
            select(ClassOccurrence).where(ClassOccurrence.series_id == series.id)
        ).first()
        return {
            "occurrence": occurrence.id,
            "subscriber_cookies": cookies,
            "publisher_cookie": sessions.start(session, staff_id=coach.id)[1],
        }

    database = Database(url)
    target = database.run_sync(seed)
    database.dispose()
    port = free_port()
    env = {
        **os.environ,
        "TELECOACH_VAR_DIR": str(tmp),
        "DATABASE_URL": url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "ROOM_CAPACITY": str(subscribers),
    }
    env.pop("REDIS_URL", None)
    command = [TELECOACH, "serve", "--port", str(port)]
    if os.environ.get("BENCH_PROFILE"):  # diagnosis: profile the server's CPU into that file
        command = [sys.executable, __file__, PROFILE_FLAG, os.environ["BENCH_PROFILE"], *command]
    log = (tmp / "server.log").open("wb")
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=lambda: pin(cpus)
    )
    wait_for_port(port, process, tmp / "server.log")
    return process, {
        **target,
        "url": f"http://127.0.0.1:{port}",
        "decode_probe": False,
        "laps_start_at": 1,
    }


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = log.read_text(errors="replace")[-2000:] if log else ""
            raise RuntimeError(f"the server stopped while starting:\n{said}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("the server did not start")


async def baseline_server(port: int) -> None:
    """The same offer/answer exchange, but media through aiortc's MediaRelay: decoded once,
    encoded once per subscriber."""
    from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.contrib.media import MediaRelay
    from aiortc.rtcrtpsender import RTCRtpSender
    from websockets.asyncio.server import serve

    relay = MediaRelay()
    published: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    vp8 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/VP8"]

    async def handle(ws: Any) -> None:
        role = ws.request.headers.get("Cookie", "").split("=", 1)[-1]
        await ws.send(json.dumps({"type": "welcome", "ice_servers": []}))
        await ws.recv()  # join
        pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        try:
            if role == "publisher":
                transceiver = pc.addTransceiver("video", direction="recvonly")
                pc.on("track", lambda track: published.done() or published.set_result(track))
            else:
                source = await published
                transceiver = pc.addTransceiver(
                    relay.subscribe(source, buffered=False), direction="sendonly"
                )
            transceiver.setCodecPreferences(vp8)
            await pc.setLocalDescription(await pc.createOffer())
            upload = {"video": transceiver.mid} if role == "publisher" else {}
            await ws.send(
                json.dumps(
                    {
                        "type": "offer",
                        "peer": 1,
                        "revision": 1,
                        "sdp": pc.localDescription.sdp,
                        "upload": upload,
                    }
                )
            )
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "answer":
                    await pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "answer"))
        finally:
            await pc.close()

    async with serve(handle, "127.0.0.1", port, max_size=2**24):
        await asyncio.Future()


def start_baseline(cpus: list[int] | None = None) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--baseline-server", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: pin(cpus),
    )
    wait_for_port(port, process)
    target = {
        "url": f"http://127.0.0.1:{port}",
        "occurrence": 0,
        "publisher_cookie": "publisher",
        "subscriber_cookies": ["subscriber"] * 200,
        "decode_probe": True,
        "laps_start_at": 0,
    }
    return process, target


# --- the run ----------------------------------------------------------------------------------


def summary(name: str, run: dict[str, Any], streams: int) -> dict[str, Any]:
    fps = run["fps"]
    # Per stream at full rate: the server's CPU over the frames it actually delivered, so that a
    # machine busy with other work (which slows delivery) does not make a stream look cheaper.
    full_rate_streams = sum(fps) / FPS
    figures: dict[str, Any] = {
        "streams": streams,
        "server_cpu_pct": round(run["cpu_pct"], 1),
        "server_cores": run["server_cores"],
        "server_cores_busy_pct": round(run["server_core_busy_pct"], 1),
        "clients_cpu_pct": round(run["clients_cpu_pct"], 1),
        "other_processes_cpu_pct": round(run["others_cpu_pct"], 1),
        "cpu_per_stream_pct": round(run["cpu_pct"] / full_rate_streams, 3),
        "delivered_fps": round(statistics.mean(fps), 2),
        "slowest_subscriber_fps": round(min(fps), 2),
        "keyframes_sent": run["keyframes_sent"],
        "server_udp_drops": run["server_udp_drops"],
        "latency_p50_ms": round(percentile(run["latency_ms"], 0.5), 2),
        "latency_p95_ms": round(percentile(run["latency_ms"], 0.95), 2),
        "latency_samples": len(run["latency_ms"]),
    }
    if "direct_latency_ms" in run:
        direct = run["direct_latency_ms"]
        figures["direct_latency_p50_ms"] = round(percentile(direct, 0.5), 2)
        figures["direct_latency_p95_ms"] = round(percentile(direct, 0.95), 2)
        figures["direct_latency_samples"] = len(direct)
        figures["direct_fps"] = round(run["direct_fps"], 2)
    print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()), flush=True)
    return figures


def capacity(ours: dict[str, Any], pinned: bool) -> dict[str, Any]:
    """Streams within one core: demonstrated when a pinned run kept every subscriber at full rate,
    otherwise extrapolated from the CPU per stream."""
    estimate = int(100 / ours["cpu_per_stream_pct"])
    full_rate = ours["slowest_subscriber_fps"] >= FULL_RATE * FPS
    if pinned and full_rate:
        basis = (
            f"measured: {ours['streams']} streams, every subscriber at full rate, server pinned"
            f" to one core ({ours['server_cpu_pct']}% of it; a lower bound)"
        )
        value = ours["streams"]
    elif pinned:
        basis = (
            f"estimated: the pinned run of {ours['streams']} streams did not keep every"
            f" subscriber at full rate (slowest {ours['slowest_subscriber_fps']} fps)"
        )
        value = estimate
    else:
        basis = f"estimated from the CPU per stream of {ours['streams']} streams (not pinned)"
        value = estimate
    return {
        "max_streams_one_core": value,
        "max_streams_one_core_basis": basis,
        "max_streams_one_core_estimate": estimate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--quick", action="store_true", help="a small run, under a minute")
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument(
        "--streams",
        type=int,
        help="capacity run: forward this many streams with the server pinned to one core and"
        " the clients to the others",
    )
    parser.add_argument("--baseline-subscribers", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--processes", type=int, default=4, help="subscriber processes")
    parser.add_argument("--baseline-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_server:
        asyncio.run(baseline_server(args.baseline_server))
        return
    if args.quick:
        args.subscribers, args.baseline_subscribers, args.seconds, args.processes = 16, 3, 6, 2
    server_cpus: list[int] | None = None
    client_cpus: list[int] | None = None
    if args.streams:
        args.subscribers = args.streams
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) < 2:
            parser.error("--streams needs two cores: one for the server, one for the clients")
        server_cpus, client_cpus = cores[:1], cores[1:]
        pin(client_cpus)  # this process too, and the frame encoding

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        frames_path = tmp / "frames.json"
        encode_frames(frames_path)
        server, target = start_telecoach(tmp, args.subscribers, server_cpus)
        target.update(server_cpus=server_cpus, client_cpus=client_cpus)
        try:
            ours = summary(
                "forwarding",
                drive(
                    target,
                    server.pid,
                    args.subscribers,
                    args.seconds,
                    frames_path,
                    args.processes,
                    direct=True,
                ),
                args.subscribers,
            )
        finally:
            server.terminate()
            server.wait(30)
        baseline_process, baseline_target = start_baseline(server_cpus)
        baseline_target.update(server_cpus=server_cpus, client_cpus=client_cpus)
        try:
            baseline = summary(
                "MediaRelay baseline",
                drive(
                    baseline_target,
                    baseline_process.pid,
                    args.baseline_subscribers,
                    args.seconds,
                    frames_path,
                    min(args.processes, args.baseline_subscribers),
                ),
                args.baseline_subscribers,
            )
        finally:
            baseline_process.terminate()
            baseline_process.wait(30)

    per_stream = ours["cpu_per_stream_pct"]
    print(
        json.dumps(
            {
                "forwarded_streams": args.subscribers,
                "cpu_per_stream_pct": per_stream,
                "baseline_cpu_per_stream_pct": baseline["cpu_per_stream_pct"],
                "cpu_ratio": round(baseline["cpu_per_stream_pct"] / per_stream, 1),
                "delivered_fps": ours["delivered_fps"],
                "slowest_subscriber_fps": ours["slowest_subscriber_fps"],
                # What the server adds: the forwarded path's p95 less that of the direct pair
                # measured in the same window (the clients' own work and waits for a CPU).
                "added_latency_p95_ms": round(
                    ours["latency_p95_ms"] - ours["direct_latency_p95_ms"], 2
                ),
                "added_latency_p50_ms": round(
                    ours["latency_p50_ms"] - ours["direct_latency_p50_ms"], 2
                ),
                "forwarded_latency_p95_ms": ours["latency_p95_ms"],
                "direct_latency_p95_ms": ours["direct_latency_p95_ms"],
                **capacity(ours, pinned=server_cpus is not None),
                "server_cpu_pct": ours["server_cpu_pct"],
                "server_cores_busy_pct": ours["server_cores_busy_pct"],
                "keyframes_sent": ours["keyframes_sent"],
                "server_udp_drops": ours["server_udp_drops"],
                "baseline_delivered_fps": baseline["delivered_fps"],
                "baseline_latency_p95_ms": baseline["latency_p95_ms"],
                "loadavg": Path("/proc/loadavg").read_text().split()[:3],
            }
        )
    )


PROFILE_FLAG = "--profile-server-into"


def profiled(into: str, command: list[str]) -> None:
    """Run a Python script under cProfile timed by the main thread's CPU clock: on a shared
    machine a wall-clock profile bills the waits for a CPU to whatever happened to be running."""
    import cProfile
    import runpy

    profile = cProfile.Profile(time.thread_time)
    sys.argv = command
    profile.enable()
    try:
        runpy.run_path(command[0], run_name="__main__")
    finally:
        profile.disable()
        profile.dump_stats(into)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == PROFILE_FLAG:
        profiled(sys.argv[2], sys.argv[3:])
    else:
        main()
