"""The `telecoach` command: documented, and each command does what it says or exits 2 saying why."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import AuditEvent, ClassSeries, Patient, StaffUser
from telecoach.app import create_app
from telecoach.cli import main
from telecoach.migrate import alembic_config
from tests.conftest import make_settings
from tests.web.rows import all_rows, table_counts
from tests.web.signin import csrf_from

TELECOACH = Path(sys.executable).parent / "telecoach"


def _env(database_url: str, var_dir: Path, **extra: str | None) -> dict[str, str | None]:
    return {
        "TELECOACH_ENV": "dev",
        "TELECOACH_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": None,
        "SECRET_KEY": None,
        "PUBLIC_BASE_URL": None,
        **extra,
    }


def _run(args: list[str], env: dict[str, str | None], stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, args, env=env, input=stdin)


def _commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        found[prefix + name] = command
        if isinstance(command, click.Group):
            found.update(_commands(command, prefix + name + " "))
    return found


def _heads(url: str) -> tuple[set[str], set[str]]:
    """(the revisions the database is at, the heads of the migration scripts)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    database = Database(url)
    try:
        with database.engine.connect() as connection:
            applied = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        database.dispose()
    return applied, set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def test_help_lists_every_command_with_its_help() -> None:
    result = subprocess.run(
        [str(TELECOACH), "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    listed = dict(
        re.findall(
            r"^  ([a-z-]+)\s+(\S.*)$", result.stdout.split("Commands:")[1], flags=re.MULTILINE
        )
    )
    expected = {"serve", "db", "create-user", "create-token", "import-patients", "demo"}
    assert expected <= set(listed), listed
    assert set(listed) == set(main.commands)
    assert all(text.strip() for text in listed.values())


def test_every_command_and_option_is_documented() -> None:
    undocumented = []
    for path, command in _commands(main).items():
        if not (command.help or "").strip():
            undocumented.append(path)
        for param in command.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                undocumented.append(f"{path} {param.opts[0]}")
        result = CliRunner().invoke(main, [*path.split(), "--help"])
        assert result.exit_code == 0 and "Usage: " in result.output, path
    assert undocumented == []


def test_create_user_with_password_from_stdin_can_sign_in(
    database_url: str, tmp_path: Path
) -> None:
    env = _env(database_url, tmp_path / "var")
    result = _run(
        [
            "create-user",
            "--email",
            "New.Coach@Example.org",
            "--role",
            "coach",
            "--name",
            "New Coach",
            "--time-zone",
            "America/Denver",
            "--language",
            "es",
            "--password-stdin",
        ],
        env,
        stdin="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created coach new.coach@example.org" in result.stdout
    assert "a long enough password" not in result.output
    database = Database(database_url)
    try:
        (user,) = all_rows(database, StaffUser)
        (created,) = all_rows(database, AuditEvent, AuditEvent.action == "staff.create")
    finally:
        database.dispose()
    assert (created.actor_kind, created.detail) == ("cli", f"staff {user.id} coach")
    assert (user.email, user.name, user.role, user.time_zone, user.language) == (
        "new.coach@example.org",
        "New Coach",
        "coach",
        "America/Denver",
        "es",
    )
    assert user.password_hash and "a long enough password" not in user.password_hash
    with TestClient(
        create_app(make_settings(database_url, tmp_path)), follow_redirects=False
    ) as client:
        token = csrf_from(client.get("/login").text)
        response = client.post(
            "/login",
            data={
                "email": "new.coach@example.org",
                "password": "a long enough password",
                "csrf_token": token,
            },
        )
        assert response.status_code == 303
        assert '<html lang="es">' in client.get("/dashboard").text  # her pages, in her language


def test_create_user_prints_a_generated_password_once(sqlite_url: str, tmp_path: Path) -> None:
    env = _env(sqlite_url, tmp_path / "var")
    result = _run(["create-user", "--email", "admin2@example.org", "--role", "admin"], env)
    assert result.exit_code == 0, result.output
    match = re.search(r"password \(shown once\): (\S+)", result.stdout)
    assert match and len(match.group(1)) >= 10
    with TestClient(
        create_app(make_settings(sqlite_url, tmp_path)), follow_redirects=False
    ) as client:
        token = csrf_from(client.get("/login").text)
        response = client.post(
            "/login",
            data={"email": "admin2@example.org", "password": match.group(1), "csrf_token": token},
        )
        assert response.status_code == 303


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (
            ["--email", "weak@example.org", "--role", "coach", "--password-stdin"],
            "short\n",
            "at least 10 characters",
        ),
        (["--email", "not-an-email", "--role", "coach"], None, "not an email address"),
        (
            ["--email", "tz@example.org", "--role", "coach", "--time-zone", "Moon/Base"],
            None,
            "unknown IANA time zone",
        ),
        (["--email", "role@example.org", "--role", "patient"], None, "'patient' is not one of"),
        (
            ["--email", "lang@example.org", "--role", "coach", "--language", "xx"],
            None,
            "no catalogue for 'xx'",
        ),
        (["--role", "coach"], None, "Missing option '--email'"),
    ],
)
def test_create_user_refuses_bad_input(
    sqlite_url: str, tmp_path: Path, args: list[str], stdin: str | None, says: str
) -> None:
    env = _env(sqlite_url, tmp_path / "var")
    database = Database(sqlite_url)
    try:
        before = table_counts(database)
        result = _run(["create-user", *args], env, stdin=stdin)
        assert result.exit_code == 2, result.output
        assert says in result.stderr
        assert table_counts(database) == before
    finally:
        database.dispose()


def test_duplicate_user_is_refused(database_url: str, tmp_path: Path) -> None:
    env = _env(database_url, tmp_path / "var")
    args = ["create-user", "--email", "twice@example.org", "--role", "coach", "--password-stdin"]
    assert _run(args, env, stdin="first password here\n").exit_code == 0
    database = Database(database_url)
    try:
        hash_before = all_rows(database, StaffUser)[0].password_hash
        result = _run(
            [*args[:2], "TWICE@example.org", *args[3:]], env, stdin="second password here\n"
        )
        assert result.exit_code == 2
        assert "a user with email twice@example.org already exists" in result.stderr
        (user,) = all_rows(database, StaffUser)
        assert user.password_hash == hash_before
    finally:
        database.dispose()


def test_db_upgrade_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = _env(url, tmp_path / "var")
    first = _run(["db", "upgrade"], env)
    assert first.exit_code == 0, first.output
    applied, heads = _heads(url)
    assert applied and applied == heads
    second = _run(["db", "upgrade"], env)
    assert second.exit_code == 0, second.output
    assert _heads(url) == (applied, heads)
    database = Database(url)
    try:
        assert set(table_counts(database)) >= {"patient", "staff_user", "web_session"}
    finally:
        database.dispose()


def test_db_upgrade_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    result = _run(["db", "upgrade"], _env(postgres_url, tmp_path / "var"))
    assert result.exit_code == 0, result.output
    applied, heads = _heads(postgres_url)
    assert applied and applied == heads


def test_demo_is_idempotent(database_url: str, tmp_path: Path) -> None:
    env = _env(database_url, tmp_path / "var")
    first = _run(["demo"], env)
    assert first.exit_code == 0, first.output
    assert "demo coach: coach@example.org" in first.stdout
    assert first.stdout.count("join link for ") >= 1
    database = Database(database_url)
    try:
        counts = table_counts(database)
        assert len(all_rows(database, Patient)) == 8
        assert len(all_rows(database, ClassSeries)) == 1
        second = _run(["demo"], env)
        assert second.exit_code == 0, second.output
        assert "demo data already present" in second.stdout
        assert table_counts(database) == counts
    finally:
        database.dispose()


def test_commands_refuse_unsafe_production_settings(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELECOACH_", "DATABASE_", "SECRET_", "PUBLIC_"))
    }
    env.update(
        TELECOACH_ENV="production",
        TELECOACH_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        PUBLIC_BASE_URL="http://coach.example.org",
    )
    result = subprocess.run(
        [str(TELECOACH), "create-token", "--email", "a@example.org"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "refusing to start" in result.stderr
    assert "SECRET_KEY" in result.stderr
    assert "SQLite" in result.stderr
    assert "https://" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.db").exists()
