"""Twilio's webhooks: `POST /sms/inbound` (a patient's text) and `POST /sms/status` (delivery).

The signature is the authentication: no session, no CSRF token (Twilio has neither). A missing or
wrong `X-Twilio-Signature` is 403 and nothing is read further; without an auth token configured,
nothing can be verified, so every webhook is refused.
"""

from __future__ import annotations

import re

from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from twilio.twiml.messaging_response import MessagingResponse

from coach.input_check import InputRejected, check_text
from coach.patients import PatientInputError, normalize_phone
from messaging.inbound import InboundSms
from messaging.sender import MAX_BODY
from messaging.signature import public_url, valid_signature
from messaging.status import SidMismatch, StatusReport, UnknownStatus
from web.api.body import UnsupportedMediaType
from web.context import ctx_of
from web.errors import Conflict, Forbidden, Invalid, NotFound
from web.routing import Access, route

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
_SID = re.compile(r"[A-Za-z0-9]{2,64}")
_ERROR_CODE = re.compile(r"^\d{1,10}$")


async def signed_form(request: Request) -> FormData:
    ctx = ctx_of(request)
    token = ctx.settings.twilio_auth_token
    if not token:
        raise Forbidden(
            "SMS webhooks are refused: TWILIO_AUTH_TOKEN is not set, so no signature can be "
            "checked",
            code="signature",
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType("send application/x-www-form-urlencoded, as Twilio does")
    form = await request.form()
    url = public_url(ctx.settings.public_base_url, request.url.path, request.url.query)
    signature = request.headers.get("x-twilio-signature")
    settings_header = request.headers.get("x-twilio-webhooks-signature-settings")
    if not valid_signature(token, url, form, signature, settings_header):
        raise Forbidden("missing or wrong X-Twilio-Signature", code="signature")
    return form


def _text(
    form: FormData, *names: str, required: bool = True, max_len: int = 64, checked: bool = True
) -> str:
    for name in names:
        value = form.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise Invalid(f"{name} must be text", field=name)
        if len(value) > max_len:
            raise Invalid(f"{name} is longer than {max_len} characters", field=name)
        try:
            if checked:
                check_text(value)
        except InputRejected as exc:
            raise Invalid(f"{name}: {exc.reason}", field=name) from None
        return value
    if required:
        raise Invalid(f"{names[0]} is required", field=names[0])
    return ""


def _sid(form: FormData) -> str:
    sid = _text(form, "MessageSid", "SmsSid")
    if not _SID.fullmatch(sid):
        raise Invalid("MessageSid must be letters and digits", field="MessageSid")
    return sid


def readable(text: str) -> str:
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


async def inbound(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await signed_form(request)
    sid = _sid(form)
    try:
        phone = normalize_phone(_text(form, "From", max_len=32))
    except PatientInputError as exc:
        raise Invalid(f"From: {exc.message}", field="From") from exc
    # What a patient wrote is kept even when their phone mangled it: a NUL or a broken character
    # is dropped or replaced, never a reason to lose the text (or a 500 on PostgreSQL).
    body = readable(_text(form, "Body", required=False, max_len=MAX_BODY, checked=False))
    outcome = await ctx.sms.receive(InboundSms(sid, phone, body, ctx_of(request).clock.now()))
    # Replies go out after the response: Twilio waits for this answer, not for our texts. A
    # text kept while the database is away is answered 200 too: Twilio would not send it again.
    # A kept red flag's safety text goes in this answer, Twilio sending it: it cannot wait.
    if outcome.at_once is not None:
        return Response(twiml_message(outcome.at_once), media_type="text/xml")
    done = outcome.duplicate or outcome.kept
    task = None if done else BackgroundTask(ctx.sms.follow_up, outcome)
    return Response(EMPTY_TWIML, media_type="text/xml", background=task)


def twiml_message(text: str) -> str:
    answer = MessagingResponse()
    answer.message(text)
    return str(answer.to_xml(xml_declaration=True))


async def status(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await signed_form(request)
    sid = _sid(form)
    state = _text(form, "MessageStatus", "SmsStatus", max_len=32).strip().lower()
    error_code = _text(form, "ErrorCode", required=False, max_len=10).strip() or None
    if error_code is not None and not _ERROR_CODE.match(error_code):
        raise Invalid("ErrorCode must be a number", field="ErrorCode")
    raw_id = request.query_params.get("m")
    if raw_id is not None and not (raw_id.isdigit() and int(raw_id) < 2**31):
        raise Invalid("m must be a message id", field="m")
    report = StatusReport(
        int(raw_id) if raw_id else None, sid, state, error_code, ctx_of(request).clock.now()
    )
    try:
        ours = await ctx.sms.status_callback(report)
    except UnknownStatus as exc:
        raise Invalid(str(exc), field="MessageStatus") from exc
    except SidMismatch as exc:
        raise Conflict(str(exc), field="MessageSid") from exc
    if not ours:
        raise NotFound("no such message")
    return Response(status_code=204)


ROUTES = [
    route("/sms/inbound", inbound, Access.PUBLIC, methods=["POST"], check_csrf=False),
    route("/sms/status", status, Access.PUBLIC, methods=["POST"], check_csrf=False),
]
