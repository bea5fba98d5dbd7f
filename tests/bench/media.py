"""Forwarding encoded video: one publisher, N subscribers, against a re-encoding baseline.

Ours: a real `telecoach serve` hosting one class; the coach publishes 640x360 VP8 at 30 fps (real
libvpx frames, pre-encoded, a keyframe every 3 s and on request) and N patients receive it, every
client an aiortc peer in processes of their own. The server forwards the encoded frames.
Baseline, in the same run: a relay built on aiortc's `MediaRelay` (decode once, encode once per
subscriber, which is what aiortc does without our seam), same publisher and frames.

Measured for each: the server process's CPU (utime + stime from /proc over a fixed window) per
forwarded stream (divided by the frames delivered, counted in full-rate 30 fps streams; loopback
also bills the receivers' kernel work to the sender, so this overstates a real NIC); the frame
rate each subscriber receives; and latency from the publisher handing
a frame to its sender to a probe subscriber holding the complete frame (loopback, so the wire adds
~0.1 ms: this is what the server adds, plus both ends' own RTP work). The probe for ours matches
frames by their bytes; the baseline's probe decodes and reads a frame number drawn into the picture.

    .venv/bin/python tests/bench/media.py --quick              # under a minute
    .venv/bin/python tests/bench/media.py --subscribers 100    # the target

Every client is an aiortc peer on this machine too, so the run also prints the clients' CPU and
what other processes used meanwhile: on a shared 2-core machine the clients, not the server, run
out first, and latency then measures the queue for a CPU rather than the server.

Figures are printed; the last line is one JSON object: forwarded_streams, cpu_per_stream_pct,
baseline_cpu_per_stream_pct, cpu_ratio, delivered_fps, added_latency_p95_ms,
max_streams_one_core (plus the baseline's fps and latency).
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


def drive(
    target: dict[str, Any],
    server_pid: int,
    subscribers: int,
    seconds: float,
    frames_path: Path,
    processes: int,
) -> dict[str, Any]:
    """The publisher, the subscribers in `processes` processes plus a lightly loaded probe
    process, and one measured window of server CPU and delivered frames."""
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
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=180)
    time.sleep(1.5)  # every subscriber settles at full rate
    start = time.monotonic()
    end = start + seconds
    for queue in windows:
        queue.put((start, end))
    cpu_start = cpu_seconds(server_pid)
    clients_start = sum(cpu_seconds(p.pid) for p in (publisher, *workers))
    machine_start = machine_busy_seconds()
    time.sleep(end - time.monotonic())
    cpu_used = cpu_seconds(server_pid) - cpu_start
    clients_used = sum(cpu_seconds(p.pid) for p in (publisher, *workers)) - clients_start
    others_used = machine_busy_seconds() - machine_start - cpu_used - clients_used
    received = [results.get(timeout=60) for _ in workers]
    stop.put(True)
    sent = sends.get(timeout=60)
    for process in (publisher, *workers):
        process.join(30)
    return {
        "cpu_pct": 100 * cpu_used / seconds,
        "clients_cpu_pct": 100 * clients_used / seconds,
        "others_cpu_pct": 100 * others_used / seconds,
        "fps": [count / seconds for r in received for count in r["counts"]],
        "latency_ms": latency_ms(sent, [a for r in received for a in r["arrivals"]]),
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


def start_telecoach(tmp: Path, subscribers: int) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    from datetime import timedelta

    from sqlmodel import select

    from coach import classes, patients
    from coach.database import Database
    from coach.models import ClassOccurrence, StaffUser, utcnow
    from web.auth import sessions
    from web.migrate import upgrade

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
    if os.environ.get("BENCH_PROFILE"):  # diagnosis: cProfile the server into that file
        command = [sys.executable, "-m", "cProfile", "-o", os.environ["BENCH_PROFILE"], *command]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for_port(port, process)
    return process, {
        **target,
        "url": f"http://127.0.0.1:{port}",
        "decode_probe": False,
        "laps_start_at": 1,
    }


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server stopped while starting")
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


def start_baseline() -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--baseline-server", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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


def summary(name: str, run: dict[str, Any], streams: int) -> dict[str, float]:
    fps = run["fps"]
    # Per stream at full rate: the server's CPU over the frames it actually delivered, so that a
    # machine busy with other work (which slows delivery) does not make a stream look cheaper.
    full_rate_streams = sum(fps) / FPS
    figures = {
        "streams": streams,
        "server_cpu_pct": round(run["cpu_pct"], 1),
        "clients_cpu_pct": round(run["clients_cpu_pct"], 1),
        "other_processes_cpu_pct": round(run["others_cpu_pct"], 1),
        "cpu_per_stream_pct": round(run["cpu_pct"] / full_rate_streams, 3),
        "delivered_fps": round(statistics.mean(fps), 2),
        "slowest_subscriber_fps": round(min(fps), 2),
        "latency_p50_ms": round(percentile(run["latency_ms"], 0.5), 2),
        "latency_p95_ms": round(percentile(run["latency_ms"], 0.95), 2),
        "latency_samples": len(run["latency_ms"]),
    }
    print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()), flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run, under a minute")
    parser.add_argument("--subscribers", type=int, default=100)
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

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        frames_path = tmp / "frames.json"
        encode_frames(frames_path)
        server, target = start_telecoach(tmp, args.subscribers)
        try:
            ours = summary(
                "forwarding",
                drive(
                    target, server.pid, args.subscribers, args.seconds, frames_path, args.processes
                ),
                args.subscribers,
            )
        finally:
            server.terminate()
            server.wait(30)
        baseline_process, baseline_target = start_baseline()
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
                "added_latency_p95_ms": ours["latency_p95_ms"],
                "max_streams_one_core": int(100 / per_stream),
                "baseline_delivered_fps": baseline["delivered_fps"],
                "baseline_latency_p95_ms": baseline["latency_p95_ms"],
            }
        )
    )


if __name__ == "__main__":
    main()
