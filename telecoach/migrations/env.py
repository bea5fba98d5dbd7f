"""Alembic environment: one metadata from `telecoach.tables`, the URL from the given config."""

from alembic import context

from coach.database import create_db_engine
from telecoach.tables import METADATA

config = context.config


def run_migrations() -> None:
    engine = create_db_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=METADATA,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations()
