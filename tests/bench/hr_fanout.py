"""Heart-rate fan-out: patients -> two `telecoach serve` processes + Redis -> coach views.

N patients each send one reading a second over the live socket; each class of 10 has one coach
view; two `serve` processes share PostgreSQL and the Redis Streams bus. With `--routing class` (the
default, as deploy/caddy/Caddyfile routes `/ws/live/*`) every socket of a class goes to one process,
half the classes to each; with `--routing spread` a class's patients alternate between the two and
its coach is on one of them, so half the readings cross processes and both processes follow every
class (the worst case). Readings go through Redis either way. Measured at the coaches: latency
from the patient's send to the coach's receipt (p50, p99), readings a second, readings lost. In the
same run, the same load against a minimal broadcast server built on the `websockets` library
alone (one process, no storage, no bus), as the baseline. The clients (two processes, on uvloop
when it is installed) share the cores with the servers, so they are lean (`ws_load.py`: RFC 6455
spoken directly, one timer for all the readings due in each 5 ms, no garbage collection):
`server_cpu_pct`, `client_cpu_pct`, `redis_cpu_pct` and `postgres_cpu_pct` say how busy each
was while measured (100 is one core), `machine_busy_pct` how busy both cores were, and
`cat /proc/loadavg` says what else was running.

    .venv/bin/python tests/bench/hr_fanout.py --quick           # under a minute
    .venv/bin/python tests/bench/hr_fanout.py --patients 5000   # the target
    .venv/bin/python tests/bench/hr_fanout.py --patients 2000 --routing spread

Needs PostgreSQL (a throwaway database is created and dropped) and Redis (db 12, only `tc:` keys
are removed). The last line is one JSON object: patients, routing, readings_per_s, p50_ms, p99_ms,
baseline_p99_ms, lost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import multiprocessing
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
TELECOACH = str(Path(sys.executable).with_name("telecoach"))
PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = "redis://127.0.0.1:6379/12"
CLASS_SIZE = 10
CLIENT_PROCESSES = 2

from tests.bench.ws_load import LoadSocket, OnMessage, connect  # noqa: E402 (after sys.path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_of(name: str) -> dict[int, float]:
    """CPU seconds of every process with this command name (PostgreSQL has one per connection)."""
    seconds = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == name:
                    seconds[int(entry.name)] = cpu_seconds(int(entry.name))
    return seconds


def busy_ticks() -> tuple[int, int]:
    """(busy, all) clock ticks of the whole machine so far, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)  # idle and iowait are not busy


# --- setup: database, data, servers --------------------------------------------------------


def seed(url: str, patients: int) -> list[dict[str, Any]]:
    """A coach, the patients in classes of ten, sessions for all: one dict per class."""
    from datetime import timedelta

    from coach import classes
    from coach.database import Database
    from coach.models import ClinicalProfile, Enrollment, Patient, StaffUser, utcnow
    from web.auth import sessions

    db = Database(url)

    def work(session):  # type: ignore[no-untyped-def]
        coach = StaffUser(email="bench@example.org", name="Bench", role="coach", time_zone="UTC")
        session.add(coach)
        session.flush()
        coach_cookie = sessions.start(session, staff_id=coach.id)[1]
        start = (utcnow() - timedelta(minutes=5)).replace(tzinfo=None, microsecond=0)
        made = []
        for k in range(patients // CLASS_SIZE):
            series = classes.create_series(
                session,
                coach.id,
                {"title": f"Bench {k}", "description": "", "time_zone": "UTC",
                 "first_start_local": start, "duration_minutes": 240, "rrule": None,
                 "capacity": CLASS_SIZE, "auto_admit": True},
            )  # fmt: skip
            occurrence = classes.occurrences(session, series.id, utcnow())[0]
            members = []
            for i in range(CLASS_SIZE):
                n = k * CLASS_SIZE + i
                patient = Patient(coach_id=coach.id, name=f"P{n}", phone=f"+1202555{n:04d}",
                                  time_zone="UTC")  # fmt: skip
                session.add(patient)
                session.flush()
                session.add(Enrollment(series_id=series.id, patient_id=patient.id))
                session.add(
                    ClinicalProfile(
                        patient_id=patient.id,
                        data={
                            "age": 50 + n % 30,
                            "sex": "female",
                            "vitals": {"resting_hr": 60 + n % 20},
                        },
                    )
                )
                cookie = sessions.start(session, patient_id=patient.id)[1]
                members.append({"id": patient.id, "cookie": cookie})
            made.append({"occurrence": occurrence.id, "coach": coach_cookie, "patients": members})
        return made

    try:
        return db.run_sync(work)
    finally:
        db.dispose()


def start_servers(url: str, tmp: Path) -> list[tuple[str, subprocess.Popen[bytes]]]:
    servers = []
    for name in ("a", "b"):
        port = free_port()
        env = {**os.environ, "TELECOACH_ENV": "dev", "DATABASE_URL": url, "REDIS_URL": REDIS_URL,
               "TELECOACH_VAR_DIR": str(tmp / name), "SESSION_IDLE_MINUTES": "600",
               "SECRET_KEY": "bench-secret-key-that-is-long-enough-01234567",
               "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
        log = (tmp / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [TELECOACH, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        servers.append((f"ws://127.0.0.1:{port}", process))
    for url_, _ in servers:
        wait_http(url_.replace("ws://", "http://") + "/healthz")
    return servers


def wait_http(url: str, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (our own local server)
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# --- the baseline: a broadcast server on the websockets library alone ---------------------


def baseline_server(port: int) -> None:
    from websockets.asyncio.server import broadcast, serve

    coaches: dict[str, set[Any]] = {}

    async def handler(ws: Any) -> None:
        path = ws.request.path  # /coach/<class> or /patient/<class>
        _, role, group = path.split("/")
        if role == "coach":
            coaches.setdefault(group, set()).add(ws)
            try:
                await ws.wait_closed()
            finally:
                coaches[group].discard(ws)
            return
        async for text in ws:
            message = json.loads(text)
            if message.get("type") == "reading" and 25 <= message.get("bpm", 0) <= 250:
                broadcast(coaches.get(group, ()), text)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", port, compression=None):
            await asyncio.Future()

    asyncio.run(main())


# --- the clients: patients and coach views ------------------------------------------------

LATE_MS = 100  # the p99 target: when in the window the readings later than this were sent
SLOTS = 200  # a second in 5 ms slots: one timer wake-up sends every reading due in a slot


class Patient:
    __slots__ = ("bpm", "conn", "id", "unacked")

    def __init__(self, patient_id: int) -> None:
        self.id = patient_id
        self.conn: LoadSocket | None = None
        self.bpm = random.randint(80, 130)
        self.unacked: set[int] = set()


async def run_clients(plan: dict[str, Any], shared: Any, live_views: Any) -> dict[str, Any]:
    """One client process's patients and coach views. `shared` holds (window start, window end,
    stop) as set by the parent once every view is live; until then the senders just keep going.

    Every patient sends at its own phase of the second; one ticker sends all the readings due in
    each 5 ms slot, stamping each with the time it goes (`t`), so a late tick delays the sending
    but not the figure. A coach view's receipt time is when the bytes were read."""
    baseline = plan["baseline"]
    sent: list[tuple[int, int]] = []
    received: list[tuple[int, int, float]] = []
    notes: list[str] = []  # errors and rejections: what would explain a loss
    slots: list[list[Patient]] = [[] for _ in range(SLOTS)]
    everyone: list[Patient] = []
    sockets: list[LoadSocket] = []
    last_heard = [time.time()]

    def url(server: str, occurrence: int, role: str) -> str:
        return f"{server}/{role}/{occurrence}" if baseline else f"{server}/ws/live/{occurrence}"

    def went_live() -> None:
        with live_views.get_lock():
            live_views.value += 1

    def on_coach(text: str, at: float) -> None:
        last_heard[0] = at
        message = json.loads(text)
        kind = message.get("type")
        if kind == "reading":
            received.append((message["patient_id"], message["t"], at * 1000))
        elif kind == "snapshot":
            went_live()
        elif kind in ("error", "resumed"):
            notes.append(text[:120])

    def on_patient(patient: Patient) -> OnMessage:
        def heard(text: str, _at: float) -> None:
            if text.startswith('{"type":"stored"'):
                patient.unacked.difference_update(json.loads(text)["t"])
            elif '"rejected"' in text or '"error"' in text:
                notes.append(text[:120])

        return heard

    async def coach(group: dict[str, Any], server: str) -> None:
        headers = {"Cookie": f"tc_session={group['coach']}"}
        conn = await connect(url(server, group["occurrence"], "coach"), on_coach, headers=headers)
        sockets.append(conn)
        if baseline:
            went_live()
        else:
            conn.send_text('{"type":"hello"}')

    async def patient(group: dict[str, Any], member: dict[str, Any], server: str) -> None:
        state = Patient(member["id"])
        headers = {"Cookie": f"tc_session={member['cookie']}"}
        address = url(server, group["occurrence"], "patient")
        conn = await connect(address, on_patient(state), headers=headers)
        sockets.append(conn)
        if not baseline:
            conn.send_text('{"type":"hello","watch":false}')
        state.conn = conn
        everyone.append(state)
        slots[random.randrange(SLOTS)].append(state)

    async def ticker() -> None:
        start = int(time.time()) + 1
        for tick in itertools.count():
            due = start + tick / SLOTS
            if due >= shared[2]:
                return
            await asyncio.sleep(max(0.0, due - time.time()))
            for state in slots[tick % SLOTS]:
                assert state.conn is not None
                t = int(time.time() * 1000)
                # A heart rate wanders; it does not jump (a jump of 30 would be an alert).
                state.bpm = min(150, max(70, state.bpm + random.randint(-3, 3)))
                if baseline:
                    text = f'{{"type":"reading","patient_id":{state.id},"t":{t},"bpm":{state.bpm}}}'
                else:
                    text = f'{{"type":"reading","t":{t},"bpm":{state.bpm}}}'
                    state.unacked.add(t)
                state.conn.send_text(text)
                sent.append((state.id, t))

    sending = asyncio.ensure_future(ticker())
    connecting = []
    servers = plan["servers"]
    for group in plan["groups"]:
        home = group["occurrence"] % len(servers)  # the class's process (by class, as deployed)
        connecting.append(asyncio.ensure_future(coach(group, servers[home])))
        for i, member in enumerate(group["patients"]):
            server = servers[(home + i) % len(servers)] if plan["spread"] else servers[home]
            connecting.append(asyncio.ensure_future(patient(group, member, server)))
        await asyncio.sleep(plan["ramp_s"] / max(1, len(plan["groups"])))
    results = await asyncio.gather(*connecting, return_exceptions=True)
    errors = [repr(r) for r in results if isinstance(r, BaseException)]
    await sending
    # Like a real client, a patient leaves only once the server has stored what it sent; then
    # wait for stragglers at the coach views: late is not lost (up to 25 s).
    stop = float(shared[2])
    while any(state.unacked for state in everyone) and time.time() < stop + 20:
        await asyncio.sleep(0.2)
    never_stored = sum(len(state.unacked) for state in everyone)
    if never_stored:
        notes.append(f"{never_stored} readings never stored")
    while time.time() < stop + 25 and (time.time() < stop + 2 or time.time() - last_heard[0] < 3):
        await asyncio.sleep(0.2)
    closed_early = sum(conn.closed.done() for conn in sockets)
    if closed_early:
        notes.append(f"{closed_early} connections closed by the server")
    for conn in sockets:
        conn.close()
    start_ms, end_ms = shared[0] * 1000, shared[1] * 1000
    expected = {k for k in sent if start_ms <= k[1] < end_ms}
    got = {(pid, t): at for pid, t, at in received if start_ms <= t < end_ms}
    missing = sorted(round(t / 1000 - shared[0], 2) for _, t in expected - set(got))
    if missing:
        notes.append(f"missing readings sent at {missing[:10]} s into the window")
    return {"sent": len(expected), "received": len(got), "lost": len(expected - set(got)),
            "latencies": [at - k[1] for k, at in got.items()], "errors": errors[:5],
            "late_at": [k[1] / 1000 - shared[0] for k, at in got.items() if at - k[1] > LATE_MS],
            "errors_n": len(errors), "ready": len(sockets), "notes": notes[:6]}  # fmt: skip


def client_process(plan: dict[str, Any], shared: Any, live_views: Any, out: Any) -> None:
    # What the clients keep (every reading sent and received) only grows: collecting it would
    # pause the clients for longer and longer, so they do not collect (no cycles are made).
    gc.disable()
    try:
        import uvloop
    except ImportError:
        out.put(asyncio.run(run_clients(plan, shared, live_views)))
    else:
        out.put(uvloop.run(run_clients(plan, shared, live_views)))


def load(
    groups: list[dict[str, Any]], servers: list[str], baseline: bool, args: Any, pids: list[int]
) -> dict:
    """Connect everyone over the ramp; once every coach view is live (its snapshot came), settle
    5 s, then measure for `args.seconds`."""
    shared: Any = multiprocessing.Array("d", [float("inf")] * 3)
    live_views: Any = multiprocessing.Value("i", 0)
    queue: Any = multiprocessing.Queue()
    began = time.time()
    procs = []
    for n in range(CLIENT_PROCESSES):
        plan = {"servers": servers, "baseline": baseline, "ramp_s": args.ramp,
                "groups": groups[n::CLIENT_PROCESSES],
                "spread": args.routing == "spread"}  # fmt: skip
        proc = multiprocessing.Process(
            target=client_process, args=(plan, shared, live_views, queue)
        )
        proc.start()
        procs.append(proc)
    deadline = began + args.ramp + 180
    while live_views.value < len(groups) and time.time() < deadline:
        time.sleep(0.1)
    setup_s = round(time.time() - began, 1)
    shared[0] = time.time() + 5
    shared[1] = shared[0] + args.seconds
    shared[2] = shared[1] + 1
    time.sleep(max(0.0, shared[0] - time.time()))
    watched = [*pids, *(proc.pid or 0 for proc in procs)]
    cpu0 = [cpu_seconds(pid) for pid in watched]
    services0 = {name: cpu_of(name) for name in ("redis-server", "postgres")}
    busy0 = busy_ticks()
    time.sleep(args.seconds)
    cpu = [
        round(100 * (cpu_seconds(pid) - c) / args.seconds)
        for pid, c in zip(watched, cpu0, strict=True)
    ]
    busy1 = busy_ticks()
    services = {
        name: round(
            100 * sum(c - before.get(pid, 0.0) for pid, c in cpu_of(name).items()) / args.seconds
        )
        for name, before in services0.items()
    }
    parts = [queue.get(timeout=args.seconds + 120) for _ in procs]
    for proc in procs:
        proc.join()
    latencies = sorted(x for p in parts for x in p["latencies"])
    pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1)  # noqa: E731
    received = sum(p["received"] for p in parts)
    late_seconds: dict[int, int] = {}
    for at in (x for p in parts for x in p["late_at"]):
        late_seconds[int(at)] = late_seconds.get(int(at), 0) + 1
    return {
        "sent": sum(p["sent"] for p in parts),
        "received": received,
        "lost": sum(p["lost"] for p in parts),
        "readings_per_s": round(received / args.seconds, 1),
        "p50_ms": pick(0.5) if latencies else None,
        "p99_ms": pick(0.99) if latencies else None,
        "connections": sum(p["ready"] for p in parts),
        "failed_connections": sum(p["errors_n"] for p in parts),
        "views_live": live_views.value,
        "server_cpu_pct": cpu[: len(pids)],
        "client_cpu_pct": cpu[len(pids) :],
        "redis_cpu_pct": services["redis-server"],
        "postgres_cpu_pct": services["postgres"],
        "machine_busy_pct": round(100 * (busy1[0] - busy0[0]) / (busy1[1] - busy0[1])),
        "setup_s": setup_s,
        # Seconds into the window with the most readings over LATE_MS: a stall, or a steady state?
        "late_by_second": dict(sorted(late_seconds.items(), key=lambda kv: -kv[1])[:8]),
        "errors": [e for p in parts for e in p["errors"]][:3],
        "notes": [n for p in parts for n in p["notes"]][:8],
    }


# --- main --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="300 patients, 8 s each: under a minute"
    )
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=60.0, help="measured time")
    parser.add_argument("--ramp", type=float, default=None, help="seconds to connect everyone")
    parser.add_argument(
        "--routing",
        choices=["class", "spread"],
        default="class",
        help="every socket of a class to one process (as deployed), or its patients alternating",
    )
    args = parser.parse_args()
    if args.quick:
        args.patients, args.seconds = min(args.patients, 300), 8.0
    args.patients -= args.patients % CLASS_SIZE
    args.ramp = args.ramp if args.ramp is not None else max(3.0, args.patients / 100)

    import psycopg
    import redis

    from telecoach.migrate import upgrade

    name = f"telecoach_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    tmp = Path(f"/tmp/{name}")
    tmp.mkdir()
    rds = redis.Redis.from_url(REDIS_URL)
    servers: list[tuple[str, subprocess.Popen[bytes]]] = []
    baseline_proc = None
    try:
        for key in rds.scan_iter(match="tc:*"):
            rds.delete(key)
        upgrade(url)
        groups = seed(url, args.patients)
        servers = start_servers(url, tmp)
        ours = load(groups, [s for s, _ in servers], False, args, [p.pid for _, p in servers])
        port = free_port()
        baseline_proc = multiprocessing.Process(target=baseline_server, args=(port,), daemon=True)
        baseline_proc.start()
        time.sleep(1.0)
        base = load(groups, [f"ws://127.0.0.1:{port}"], True, args, [baseline_proc.pid or 0])
    finally:
        for _, process in servers:
            process.terminate()
            process.wait(timeout=30)
        if baseline_proc is not None:
            baseline_proc.terminate()
        for key in rds.scan_iter(match="tc:*"):
            rds.delete(key)
        rds.close()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"telecoach (2 serve + Redis): {json.dumps(ours)}")
    print(f"baseline (websockets only, 1 process): {json.dumps(base)}")
    print(json.dumps({"patients": args.patients, "routing": args.routing,
                      "readings_per_s": ours["readings_per_s"],
                      "p50_ms": ours["p50_ms"], "p99_ms": ours["p99_ms"],
                      "baseline_p99_ms": base["p99_ms"], "lost": ours["lost"]}))  # fmt: skip


if __name__ == "__main__":
    main()
