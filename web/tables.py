"""Every package's tables, imported in one place so that migrations see one metadata."""

from sqlmodel import SQLModel

import coach.models
import web.auth.models

METADATA = SQLModel.metadata
TABLE_MODULES = (coach.models, web.auth.models)
