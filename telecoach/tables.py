"""Every package's tables, imported in one place so that migrations see one metadata."""

from sqlmodel import SQLModel

import coach.adherence
import coach.alerts
import coach.daily
import coach.dial_in
import coach.holds
import coach.home_sessions
import coach.hr_models
import coach.models
import coach.workflow_models
import messaging.models
import scheduler.models
import web.auth.models

METADATA = SQLModel.metadata
TABLE_MODULES = (
    coach.models,
    web.auth.models,
    coach.holds,
    coach.hr_models,
    coach.alerts,
    coach.daily,
    coach.dial_in,
    coach.adherence,
    coach.home_sessions,
    messaging.models,
    coach.workflow_models,
    scheduler.models,
)
