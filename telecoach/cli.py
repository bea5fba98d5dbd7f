"""The `telecoach` command: serve, migrate, users and tokens, patient import, demo data, the
simulated cohort and the evaluation of the early warnings."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import sys
from pathlib import Path

import click
from sqlmodel import select

from coach import languages
from coach.audit import record_system
from coach.database import Database
from coach.models import StaffUser
from coach.patient_import import ImportFailed, import_patients_csv
from coach.rules import load_rules
from telecoach.command_options import fail as _fail
from telecoach.command_options import rules_option
from telecoach.heart_rate_commands import create_device_token, simulate_hr
from telecoach.reading_grade import LIMIT, PAGES, SMS, grades, report
from telecoach.reading_grade import hardest as hardest_sentences
from telecoach.settings import Settings
from telecoach.simulate_command import simulate_cohort_command
from telecoach.startup import load_settings, open_database, served_here
from telecoach.warning_commands import evaluate_warnings
from web.auth import api_tokens
from web.auth.passwords import Passwords, WeakPassword
from web.auth.secrets_util import new_token
from web.i18n import Catalogues

YOUNG_GC_THRESHOLD = 10_000  # allocations between young collections (Python's default: 700)


@click.group()
def main() -> None:
    """Telecoach: live exercise classes, heart-rate zones and SMS coaching for exercise oncology.

    Settings come from the environment (see the README); with none set, everything runs embedded:
    SQLite under ./var, in-process bus and scheduler, SMS to a local outbox.
    """


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--demo", is_flag=True, help="Seed demo data (coach, patients, a class) first.")
@click.option(
    "--simulate-hr/--no-simulate-hr",
    default=True,
    show_default=True,
    help="With --demo: stream simulated heart rates into the demo class while it is on.",
)
def serve(host: str, port: int, demo: bool, simulate_hr: bool) -> None:
    """Run the web app (and, embedded, the rooms and scheduler) in this process."""
    import uvicorn

    from coach.errors import RulesError
    from telecoach.app import create_app
    from telecoach.demo_simulation import simulated_heart_rates
    from telecoach.logs import configure as configure_logging
    from telecoach.migrate import upgrade
    from telecoach.server import GRACEFUL_SECONDS, GracefulServer

    settings = served_here(load_settings(), host, port, os.environ)
    if demo and settings.production:  # refused before anything touches the database
        raise click.UsageError("--demo is for dev mode only")
    if settings.is_sqlite or demo:
        upgrade(settings.database_url)  # the embedded default migrates on start
    newcomer = _seed_demo(settings) if demo else []
    try:
        app = create_app(settings)
    except RulesError as exc:
        _fail(f"telecoach: refusing to start: {exc}")
    click.echo(f"Telecoach on http://{host}:{port} (public URL {settings.public_base_url})")
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=configure_logging(),
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        # Class signaling messages are at most 256 KiB (docs/signaling.md); refuse far larger
        # frames before they are read into memory (uvicorn's default is 16 MiB).
        ws_max_size=1024 * 1024,
        # Browsers offer per-message compression and uvicorn accepts it by default: some 40 KB of
        # zlib state per socket and a compression of every frame, for JSON frames of a hundred
        # bytes (a heart-rate reading) that it barely shrinks.
        ws_per_message_deflate=False,
        # A stop waits this long for requests under way, then cancels them (telecoach/server.py).
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )
    # Uvicorn raises the SIGTERM again once it has stopped; by then the stop was complete, so it
    # ends the process with 0 instead of "killed by SIGTERM".
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))

    def welcome() -> None:  # once the server listens, after all start-up says: last on screen
        for line in newcomer:
            click.echo(line)

    server = GracefulServer(config, app.state.ctx, on_started=welcome)
    # What start-up made (modules, the app, its routes) lives as long as the process: frozen, it
    # is out of the collector's reach, so a full collection, which stops the event loop and every
    # class's media with it, walks only what requests create.
    gc.collect()
    gc.freeze()
    # Open connections are most of what requests create (some 200 objects each: the ASGI stack's
    # coroutines and closures), and a full collection walks them all: 200-300 ms with 1,100 live
    # sockets. With the default thresholds, objects that live about a second (a reading waiting
    # for its batch, a frame being sent) outlived the young collections, and that growth set off a
    # full one every ~15 s. Collected young 14x less often, they die young instead. Not less
    # often than that: a young collection stops the loop for as long as it takes, which grows
    # with the threshold (at 50,000, 60-75 ms: a late reading for every patient of the process).
    # At 10,000 and with no tracked object kept per reading (rtc/heart_rate/tiles.py), 40-50 ms
    # every 15-20 s at 5,000 patients (2026-12-01): most of that is walking every socket's
    # waiting receive, which no threshold avoids.
    gc.set_threshold(YOUNG_GC_THRESHOLD, 20)
    simulating = (
        simulated_heart_rates(settings.database_url, host, port)
        if demo and simulate_hr
        else contextlib.nullcontext()
    )
    with simulating, contextlib.suppress(KeyboardInterrupt):  # a second Ctrl+C: stop at once
        server.run()
    if not server.started:
        sys.exit(3)  # as `uvicorn.run`: the port was taken, or the app's start-up failed


@main.command()
@click.argument("profile_file", type=click.Path(dir_okay=False, path_type=Path))
@rules_option
def prescribe(profile_file: Path, rules_file: Path | None) -> None:
    """Print the prescription for PROFILE_FILE (JSON); a bad profile exits 2 naming the field."""
    from coach.engine import prescribe as make_prescription
    from coach.errors import ProfileError, RulesError
    from coach.profile import parse_profile
    from coach.rules import load_rules

    try:
        rules = load_rules(rules_file)
        raw = profile_file.read_text(encoding="utf-8")
        data = json.loads(raw)
        profile = parse_profile(data)
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{profile_file}: cannot read: {exc}")
    except json.JSONDecodeError as exc:
        _fail(f"{profile_file}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except (ProfileError, RulesError) as exc:
        _fail(str(exc))
    click.echo(json.dumps(make_prescription(profile, rules).to_json(), indent=2))


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True, help="Alembic revision to reach.")
def db_upgrade(revision: str) -> None:
    """Apply Alembic migrations up to REVISION."""
    from telecoach.migrate import upgrade

    upgrade(load_settings().database_url, revision)
    click.echo(f"database at {revision}")


@main.command("create-user")
@click.option("--email", required=True, help="Sign-in email (stored lower-case).")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["coach", "admin"]),
    help="Coaches own patients and classes; admins see everyone.",
)
@click.option("--name", default=None, help="Display name (default: the email's local part).")
@click.option(
    "--time-zone",
    default="UTC",
    show_default=True,
    help="The user's IANA time zone, for times shown to them.",
)
@click.option(
    "--language",
    default="en",
    show_default=True,
    help="The language of the user's pages: a file in coach/languages ("
    + ", ".join(languages.codes())
    + ").",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input; otherwise one is generated and printed once.",
)
def create_user(
    email: str, role: str, name: str | None, time_zone: str, language: str, password_stdin: bool
) -> None:
    """Create a staff user (coach or admin)."""
    from usecases.staff_accounts import StaffRefused, check_new_staff, create_staff

    checked = check_new_staff(email, name or "", role, time_zone, language, Catalogues().languages)
    if isinstance(checked, StaffRefused):
        hint = {"email": "--email", "name": "--name", "role": "--role"}.get(checked.field)
        reasons = {
            "email": "not an email address",
            "name": "at most 200 characters, no control characters",
            "time_zone": f"unknown IANA time zone {time_zone!r}",
            "language": f"no catalogue for {language!r}; one of "
            + ", ".join(Catalogues().languages),
        }
        param = hint or "--" + checked.field.replace("_", "-")
        raise click.BadParameter(reasons.get(checked.reason, checked.reason), param_hint=param)
    password = sys.stdin.readline().rstrip("\n") if password_stdin else new_token(12)
    passwords = Passwords()
    try:
        password_hash = passwords.hash(password)
    except WeakPassword as exc:
        raise click.UsageError(str(exc)) from exc
    _, database = open_database()
    created = database.run_sync(create_staff, None, checked, password_hash)
    if isinstance(created, StaffRefused):
        raise click.UsageError(f"a user with email {checked.email} already exists")
    click.echo(f"created {role} {checked.email}")
    if not password_stdin:
        click.echo(f"password (shown once): {password}")


@main.command("create-token")
@click.option("--email", required=True, help="The staff user the token acts as.")
@click.option("--name", default="cli", show_default=True, help="A label to recognise it by.")
def create_token(email: str, name: str) -> None:
    """Create a personal API token for a staff user; it is printed once."""
    _, database = open_database()

    def work(session):  # type: ignore[no-untyped-def]
        staff = session.exec(select(StaffUser).where(StaffUser.email == email.lower())).first()
        if staff is None:
            raise click.UsageError(f"no staff user with email {email}")
        return api_tokens.create(session, staff, name)[1]

    click.echo(database.run_sync(work))


@main.command("import-patients")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_patients(csv_file: Path) -> None:
    """Import patients from CSV (columns in the README); all rows or none."""
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.UsageError(f"{csv_file} is not UTF-8 text") from exc
    _, database = open_database()
    languages = Catalogues().languages

    def work(session):  # type: ignore[no-untyped-def]
        created = import_patients_csv(session, text, languages)
        for patient in created:
            record_system(session, "cli", "patient.import", patient.id)
        return len(created)

    try:
        count = database.run_sync(work)
    except ImportFailed as exc:
        for error in exc.errors:
            click.echo(f"{csv_file}:{error}", err=True)
        click.echo(f"{exc}", err=True)
        sys.exit(2)
    click.echo(f"imported {count} patient(s)")


def _seed_demo(settings: Settings, history: bool = True) -> list[str]:
    """Make or top up the demo; returns what a newcomer needs, to print last: how to sign in as
    the coach and each patient's join link."""
    from telecoach.demo import COACH_EMAIL, DEMO_PASSWORD, seed
    from telecoach.wiring.scheduler import scheduler_config

    database = Database(settings.database_url)
    try:
        rules = load_rules(Path(settings.rules_file) if settings.rules_file else None)
        result = database.run_sync(
            lambda session: seed(
                session,
                Passwords(),
                settings.secret_key,
                settings.public_base_url,
                rules=rules,
                schedule=scheduler_config(settings),
                history=history,
            )
        )
    finally:
        database.dispose()
    if not result.created:
        click.echo("demo data already present")
    if result.class_added:
        click.echo("demo class on now: added")
    if result.approved:
        click.echo(f"demo prescriptions approved: {result.approved}")
    lines = [f"sign in at {settings.public_base_url}/login as the demo coach: "
             f"{COACH_EMAIL} / password {DEMO_PASSWORD}"]  # fmt: skip
    lines += [f"join link for {name}: {url}" for name, url in result.join_urls.items()]
    return lines


@main.command()
@click.option(
    "--no-history",
    is_flag=True,
    help="Without the four weeks before now (sessions at home, daily values, a warning).",
)
def demo(no_history: bool) -> None:
    """Seed demo data: a coach, eight patients spanning the clinical rules (most with an approved
    prescription), a class on now and one each day after, and the four weeks before now; prints
    the sign-in and join links."""
    settings, database = open_database()
    database.dispose()
    if settings.production:
        raise click.UsageError("demo data is for dev mode only")
    for line in _seed_demo(settings, history=not no_history):
        click.echo(line)


@main.command()
@click.option(
    "--once",
    is_flag=True,
    help="Plan, send what is due now, and exit (for cron); needs no Redis.",
)
def worker(once: bool) -> None:
    """Run scheduled work (reminders, coaching texts, weekly reviews) as an arq worker on Redis."""
    import asyncio

    settings = load_settings()
    if settings.is_sqlite:
        from telecoach.migrate import upgrade

        upgrade(settings.database_url)
    if once:
        from telecoach.worker import run_once

        counts = asyncio.run(run_once(settings))
        click.echo(" ".join(f"{name}={count}" for name, count in counts.items()))
        return
    if not settings.redis_url:
        _fail("telecoach worker: REDIS_URL is required (or use --once, or the scheduler in serve)")
    from telecoach.worker import build_worker

    click.echo(f"telecoach worker on queue {settings.worker_queue}")
    build_worker(settings).run()


@main.command("settings")
def show_settings() -> None:
    """Print the effective settings (secrets masked)."""
    settings = load_settings()
    masked = ("secret_key", "twilio_auth_token", "metrics_token", "turn_secret")
    shown = {k: ("***" if k in masked and v else str(v)) for k, v in settings.__dict__.items()}
    for key in ("database_url", "redis_url"):  # their passwords, not the rest of the URL
        shown[key] = _without_password(shown[key])
    click.echo(json.dumps(shown, indent=2))


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not parts.password:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


@main.command("reading-grade")
@click.option("--hardest", default=0, help="Also list this many hardest sentences.")
@click.option(
    "--pages",
    type=click.Path(exists=True, path_type=Path),
    default=PAGES,
    help="The English page catalogue to grade (default: web/locales/en.toml).",
)
@click.option(
    "--sms",
    type=click.Path(exists=True, path_type=Path),
    default=SMS,
    help="The English SMS templates to grade (default: messaging/templates/en.toml).",
)
def reading_grade(hardest: int, pages: Path, sms: Path) -> None:
    """Print the reading grade (Flesch-Kincaid) of the patient-facing English, per section and
    overall; exit 1 when any is over grade 6 (telecoach/reading_grade.py says what is measured)."""
    per_section, overall = grades(pages, sms)
    click.echo(report(per_section, overall))
    for grade, section, text in hardest_sentences(hardest, pages, sms):
        click.echo(f"{grade:5.1f}  {section}: {text}")
    if any(g.worst > LIMIT for g in [*per_section, overall]):
        sys.exit(1)


main.add_command(create_device_token)
main.add_command(simulate_hr)
main.add_command(evaluate_warnings)
main.add_command(simulate_cohort_command)


if __name__ == "__main__":  # `python -m telecoach.cli`: how `serve --demo` starts its simulator
    main()
