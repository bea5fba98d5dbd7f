"""Twilio Programmable Voice webhooks: `POST /voice/inbound` (a call to `VOICE_NUMBER`),
`POST /voice/pin` (the class PIN typed on the keypad) and `POST /voice/ended` (the stream is over:
which goodbye the caller hears).

Signed like the SMS webhooks (a bad or missing `X-Twilio-Signature` is 403 and nothing else). A
caller whose number is a patient's, with a class whose room is open now, is put through at once;
anyone else is asked for the class PIN (in the patient's language when the number is known),
`VOICE_PIN_TRIES` times, and then told to call the clinic. Nothing about any patient is spoken
before a PIN or a known number has matched a class that is on now. docs/voice.md has the flow.
"""

from __future__ import annotations

from urllib.parse import urlencode

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from twilio.twiml.voice_response import Connect, Gather, VoiceResponse

from coach import dial_in, languages
from coach.classes import RoomWindow
from coach.patients import PatientInputError, normalize_phone
from web.context import AppContext, ctx_of
from web.errors import NotFound
from web.routing import Access, route
from web.sms.webhooks import signed_form

STREAM_PATH = "/voice/stream"


def _window(ctx: AppContext) -> RoomWindow:
    return ctx.room_window


def stream_url(public_base_url: str) -> str:
    """Where Twilio opens the media stream: the public URL, wss:// (ws:// on a dev http URL)."""
    base = public_base_url.rstrip("/")
    scheme, rest = base.split("://", 1)
    return ("wss" if scheme == "https" else "ws") + "://" + rest + STREAM_PATH


def _language(raw: object) -> str:
    # Each language's <Say> voice is in its file in coach/languages/.
    return raw if isinstance(raw, str) and raw in languages.registry() else "en"


class Script:
    """One call's TwiML, spoken in one language."""

    def __init__(self, ctx: AppContext, language: str) -> None:
        self.language = language
        self.t = ctx.catalogues.translator(language)
        self.response = VoiceResponse()

    def say(self, key: str, into: VoiceResponse | Gather | None = None, **values: object) -> None:
        spoken = languages.language(self.language)
        (into or self.response).say(
            self.t(f"voice.{key}", **values),
            language=spoken.phone_language,
            voice=spoken.phone_voice,
        )

    def twiml(self) -> Response:
        return Response(str(self.response), media_type="text/xml")


def _ask_pin(script: Script, attempt: int) -> Response:
    action = "/voice/pin?" + urlencode({"try": attempt, "lang": script.language})
    gather = Gather(
        input="dtmf",
        num_digits=dial_in.PIN_DIGITS,
        finish_on_key="#",
        timeout=10,
        action=action,
        method="POST",
    )
    script.say("ask_pin", gather)
    script.response.append(gather)
    script.response.redirect(action, method="POST")  # no keys pressed: counts as a try
    return script.twiml()


def _connect(script: Script, ctx: AppContext, token: str) -> Response:
    script.say("welcome")
    script.say("wait")
    # When the stream closes Twilio asks the action what to say: the goodbye depends on why.
    action = "/voice/ended?" + urlencode({"lang": script.language})
    connect = Connect(action=action, method="POST")
    stream = connect.stream(url=stream_url(ctx.settings.public_base_url))
    stream.parameter(name="token", value=token)
    script.response.append(connect)
    return script.twiml()


def _class_ended(script: Script) -> Response:
    """The caller's class was ended early by its coach: a room would refuse them, so say so."""
    script.say(GOODBYES["ended"])
    script.response.hangup()
    return script.twiml()


# Why the room ended a call -> the goodbye; anything else (a broken stream, a restart, the line
# dropping) is a problem on the line, and the caller is told they can call again.
GOODBYES = {"ended": "goodbye_class_ended", "removed": "goodbye_removed"}


async def ended(request: Request) -> Response:
    ctx, fields = await _form(request)
    script = Script(ctx, _language(request.query_params.get("lang")))
    call_sid = fields.get("CallSid", "")
    ended_by = await ctx.db.run(dial_in.ending_of, call_sid) if call_sid else None
    script.say(GOODBYES.get(ended_by or "", "goodbye_problem"))
    script.response.hangup()
    return script.twiml()


def _caller_label(phone: str | None) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return f"Phone …{digits[-4:]}" if len(digits) >= 4 else "Phone caller"


async def _form(request: Request) -> tuple[AppContext, dict[str, str]]:
    ctx = ctx_of(request)
    if not ctx.settings.voice_number:
        raise NotFound("dial-in is not configured (VOICE_NUMBER)")
    form = await signed_form(request)
    fields = {k: v for k, v in form.items() if isinstance(v, str) and len(v) <= 256}
    return ctx, fields


def _phone(fields: dict[str, str]) -> str | None:
    try:
        return normalize_phone(fields.get("From", ""))
    except PatientInputError:
        return None  # withheld or not a number: a PIN is the only way in


async def inbound(request: Request) -> Response:
    ctx, fields = await _form(request)
    phone = _phone(fields)
    call_sid = fields.get("CallSid", "")
    window, now = _window(ctx), ctx.clock.now()

    def recognise(session: Session) -> tuple[str, str | None, bool]:
        """The caller's language, and a stream token or whether their class ended early."""
        patient = dial_in.patient_by_phone(session, phone) if phone else None
        if patient is None or patient.id is None:
            return "en", None, False
        occurrence = dial_in.open_class_for(session, patient.id, window, now)
        if occurrence is None:
            return patient.language, None, False
        if dial_in.ended_early(session, occurrence, window):
            return patient.language, None, True
        caller = dial_in.Caller(occurrence, patient.id, patient.name, patient.language, call_sid)
        return patient.language, dial_in.issue_token(session, caller, now), False

    language, token, ended_early = await ctx.db.run(recognise)
    script = Script(ctx, _language(language))
    if ended_early:
        return _class_ended(script)
    if token is not None:
        return _connect(script, ctx, token)
    return _ask_pin(script, 1)


async def pin(request: Request) -> Response:
    ctx, fields = await _form(request)
    raw_try = request.query_params.get("try", "1")
    attempt = int(raw_try) if raw_try.isdigit() and len(raw_try) < 3 else 1
    script = Script(ctx, _language(request.query_params.get("lang")))
    phone = _phone(fields)
    call_sid = fields.get("CallSid", "")
    digits = fields.get("Digits", "").strip().rstrip("#")
    window, now = _window(ctx), ctx.clock.now()

    def match(session: Session) -> tuple[str | None, bool]:
        """A stream token for the class of this PIN, or whether that class ended early."""
        occurrence = dial_in.class_by_pin(session, digits, window, now)
        if occurrence is None:
            return None, False
        if dial_in.ended_early(session, occurrence, window):
            return None, True
        patient = dial_in.patient_by_phone(session, phone) if phone else None
        if patient is not None and patient.id and dial_in.enrolled(session, patient.id, occurrence):
            caller = dial_in.Caller(
                occurrence, patient.id, patient.name, patient.language, call_sid
            )
            return dial_in.issue_token(session, caller, now), False
        # Someone with the PIN on another phone: the coach sees the number's last digits in
        # the lobby and decides.
        guest = dial_in.Caller(occurrence, None, _caller_label(phone), script.language, call_sid)
        return dial_in.issue_token(session, guest, now), False

    token, ended_early = await ctx.db.run(match)
    if ended_early:
        return _class_ended(script)
    if token is not None:
        return _connect(script, ctx, token)
    if attempt < ctx.settings.voice_pin_tries:
        script.say("wrong_pin")
        return _ask_pin(script, attempt + 1)
    script.say("no_class", phone=_spoken_number(ctx.settings.clinic_phone))
    script.response.hangup()
    return script.twiml()


def _spoken_number(phone: str) -> str:
    # Digit by digit, so the voice does not read "fifteen billion ...".
    return " ".join(ch for ch in phone if ch.isdigit())


ROUTES = [
    route("/voice/inbound", inbound, Access.PUBLIC, methods=["POST"], check_csrf=False),
    route("/voice/pin", pin, Access.PUBLIC, methods=["POST"], check_csrf=False),
    route("/voice/ended", ended, Access.PUBLIC, methods=["POST"], check_csrf=False),
]
