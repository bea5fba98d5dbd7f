"""Daily-data tests use the SMS fixtures too (texted values go through the signed webhook)."""

from tests.messaging.conftest import app_for, sms, twilio_api

__all__ = ["app_for", "sms", "twilio_api"]
