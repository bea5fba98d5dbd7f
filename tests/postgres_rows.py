"""The rows of the suite's PostgreSQL database between tests: emptied before each test, and a
seeded state kept and put back, so that a test that starts from the demo clinic does not seed it
again. Plain psycopg, one connection per call: these run before each of the suite's PostgreSQL
tests and must cost milliseconds, not the tenths of a second TRUNCATE and seeding take."""

from __future__ import annotations

import graphlib
from dataclasses import dataclass

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class Rows:
    """A database's rows, table by table (COPY's binary format, parents first), and where each
    id sequence stood."""

    tables: tuple[tuple[str, bytes], ...]
    sequences: tuple[tuple[str, int], ...]


def _written_tables(conn: psycopg.Connection) -> list[str]:
    """The tables holding a row, parents before children (as their foreign keys run)."""
    names = [
        row[0]
        for row in conn.execute(
            "SELECT tablename FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
    ]
    if not names:
        return []
    holding = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {} WHERE EXISTS (SELECT 1 FROM {})").format(
            sql.Literal(name), sql.Identifier(name)
        )
        for name in names
    )
    written = {row[0] for row in conn.execute(holding)}
    parents: dict[str, set[str]] = {name: set() for name in written}
    for child, parent in conn.execute(
        "SELECT child.relname, parent.relname FROM pg_constraint"
        " JOIN pg_class child ON child.oid = conrelid"
        " JOIN pg_class parent ON parent.oid = confrelid"
        " WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
    ):
        if child in written and parent in written and child != parent:
            parents[child].add(parent)
    return list(graphlib.TopologicalSorter(parents).static_order())


def _used_sequences(conn: psycopg.Connection) -> list[tuple[str, int]]:
    return [
        (name, value)
        for name, value in conn.execute(
            "SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences"
            " WHERE schemaname = 'public' AND last_value IS NOT NULL"
        )
    ]


def _empty(conn: psycopg.Connection) -> None:
    # DELETE of the few tables a test wrote costs about a tenth of TRUNCATE of all of them
    # (TRUNCATE makes new files for every table and index).
    for name in reversed(_written_tables(conn)):
        conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(name)))
    for sequence, _ in _used_sequences(conn):
        conn.execute("SELECT setval(%s, 1, false)", (sequence,))


def empty_postgres(url: str) -> None:
    """Delete every row and restart the id sequences: a migrated, empty database."""
    with psycopg.connect(url) as conn:
        _empty(conn)


def take_rows(url: str) -> Rows:
    with psycopg.connect(url) as conn:
        tables = []
        for name in _written_tables(conn):
            data = bytearray()
            copy_out = sql.SQL("COPY {} TO STDOUT (FORMAT BINARY)").format(sql.Identifier(name))
            with conn.cursor().copy(copy_out) as copy:
                for block in copy:
                    data += block
            tables.append((name, bytes(data)))
        return Rows(tuple(tables), tuple(_used_sequences(conn)))


def put_rows(url: str, rows: Rows) -> None:
    """Empty the database and put `rows` back, sequences where they stood."""
    with psycopg.connect(url) as conn:
        _empty(conn)
        for name, data in rows.tables:
            copy_in = sql.SQL("COPY {} FROM STDIN (FORMAT BINARY)").format(sql.Identifier(name))
            with conn.cursor().copy(copy_in) as copy:
                copy.write(data)
        for sequence, value in rows.sequences:
            conn.execute("SELECT setval(%s, %s)", (sequence, value))
