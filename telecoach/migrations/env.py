"""Alembic environment: one metadata from `telecoach.tables`, the URL from the given config."""

from alembic import context

from coach.database import create_db_engine
from telecoach.tables import METADATA

config = context.config


def run_migrations() -> None:
    engine = create_db_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch mode changes a SQLite table by copying it, dropping the old one and renaming
                # the copy; with foreign keys enforced, dropping a table that other rows point at
                # (a patient, a staff member) fails. Off for the migration, checked after it.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            context.configure(
                connection=connection,
                target_metadata=METADATA,
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if dangling:
                    raise RuntimeError(f"the migration left rows pointing nowhere: {dangling[:5]}")
    finally:
        engine.dispose()


run_migrations()
