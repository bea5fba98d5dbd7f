"""Render a page with the request's principal, translator and CSRF token in the context."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from web.auth import csrf
from web.auth.principal import Principal
from web.context import ctx_of
from web.daily.chart import evidence_chart, evidence_drawn
from web.dates import clock_text, day_text
from web.i18n import Catalogues, Translator
from web.plain_labels import (
    field_label,
    prescription_word,
    rule_label,
    sms_purpose_label,
    with_rule_labels,
)
from web.profile_words import profile_lines, profile_word
from web.rule_text import rule_text, stored_words
from web.views import local_text


def page_language(request: Request) -> str:
    ctx = ctx_of(request)
    principal = getattr(request.state, "principal", None)
    requested = request.query_params.get("lang", "")
    if requested in ctx.catalogues.languages:
        return requested
    if principal is not None:  # a patient's own, or the one a staff member chose in settings
        return str(principal.language)
    return ctx.catalogues.negotiate(request.headers.get("accept-language", ""))


def page_words(request: Request) -> Translator:
    """The translator of the page's language, for words a view builds before rendering."""
    return ctx_of(request).catalogues.translator(page_language(request))


def _context(request: Request) -> dict[str, Any]:
    ctx = ctx_of(request)
    principal = getattr(request.state, "principal", None)
    language = page_language(request)
    if principal is not None and principal.via == "session":
        token = principal.csrf_token
    else:
        token = csrf.anonymous_token(request, ctx.settings.secret_key)
    return {
        "principal": principal,
        "csrf_token": token,
        "lang": language,
        "t": ctx.catalogues.translator(language),
        # `{{ local(moment) }}`: a stored UTC moment in the reader's own zone and language.
        "local": _local_for(principal, language),
        # `{{ local_in(moment, zone) }}`: the same in another zone (a patient's own time)
        "local_in": lambda when, zone: local_text(when, zone, language),
        # `{{ day(d) }}`: a calendar day (a date, or its ISO text) in the reader's language.
        "day": lambda d: day_text(date.fromisoformat(d) if isinstance(d, str) else d, language),
        # `{{ rule_text(line, t) }}`: a stored prescription line in the reader's words, read
        # back against the app's rules (web/rule_text.py)
        "rule_text": functools.partial(rule_text, rules=ctx.rules),
        # `{{ stored_words(text, t) }}`: an engine warning or a hold's reason, likewise
        "stored_words": stored_words,
        "dev": not ctx.settings.production,
        # Whom a patient calls for help, at the foot of each of their pages (base.html).
        "clinic_phone": ctx.sms.clinic.phone,
    }


def _local_for(principal: Principal | None, language: str) -> Callable[[datetime | str], str]:
    zone = principal.time_zone if principal is not None else "UTC"

    def local(when: datetime | str) -> str:
        # Some moments reach templates from stored JSON, as ISO text (an override's time).
        moment = datetime.fromisoformat(when) if isinstance(when, str) else when
        return local_text(moment, zone, language)

    return local


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory for every app of the process, each used only while its
    source is unchanged (Jinja checks the source's checksum). One app compiles a template once
    anyway; the tests build thousands of apps, and compiling the same templates again for each
    was 7% of a sample's CPU."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = CompiledTemplates()


def make_templates(directory: str, catalogues: Catalogues) -> Jinja2Templates:
    del catalogues  # translators are per request, chosen by the reader's language
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=jinja2.select_autoescape(),
        bytecode_cache=_COMPILED,
    )
    templates = Jinja2Templates(env=env, context_processors=[_context])
    # `profile_lines(profile, t)`: a stored clinical profile as labelled words (web/profile_words)
    templates.env.globals["profile_lines"] = profile_lines
    # `profile_word(choice, t)`: one choice of the profile format in the reader's words
    templates.env.globals["profile_word"] = profile_word
    # Plain words first for internal names; pages keep the id itself behind <details>.
    templates.env.globals["rule_label"] = rule_label
    templates.env.globals["with_rule_labels"] = with_rule_labels
    templates.env.globals["clock_text"] = clock_text
    templates.env.globals["field_label"] = field_label
    templates.env.globals["prescription_word"] = prescription_word
    templates.env.globals["sms_purpose_label"] = sms_purpose_label
    # `evidence_chart(id, alert.evidence, t.section("warn"), separator, day)`: a daily-data
    # warning's series as inline SVG, its days in the reader's words; `evidence_drawn(evidence)`:
    # the parts it draws, for the caption
    templates.env.globals["evidence_chart"] = evidence_chart
    templates.env.globals["evidence_drawn"] = evidence_drawn
    templates.env.filters["sentence"] = sentence_start
    return templates


def sentence_start(text: str) -> str:
    """`{{ words | sentence }}`: words that open a sentence after another ("... again. Early
    warning from daily data"), their first letter a capital. Stored reasons and rule lines are
    written to follow a colon; Jinja's `capitalize` would also lower the rest (names, units)."""
    return text[:1].upper() + text[1:]


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    ctx = ctx_of(request)
    response = ctx.templates.TemplateResponse(
        request, name, dict(context or {}), status_code=status_code, headers=headers
    )
    csrf.attach_pre_cookie(request, response, secure=ctx.settings.production)
    return response


# Errors a person meets on a page, said in the catalogue's words (the reader's language, no
# jargon: a patient whose page sat open too long is not told about "CSRF tokens"). Any other
# error's page shows its own message.
ERROR_WORDS = {
    "not_found": "error.not_found",
    "method_not_allowed": "error.method_not_allowed",
    "unavailable": "error.unavailable",
    "join_link_invalid": "error.link_invalid",
    "csrf": "error.csrf",
    "forbidden": "error.forbidden",
    "too_many_requests": "error.too_many",
    "invalid": "error.invalid",
    "conflict": "error.conflict",
    "payload_too_large": "error.too_large",
    "bad_request": "error.bad_request",
}
# Their message names the field or the clash to fix, in English (the server's words): shown
# under the catalogue's sentence, marked as English for a screen reader.
ERRORS_WITH_DETAIL = frozenset({"invalid", "conflict", "payload_too_large", "bad_request"})


def render_error(
    request: Request,
    status: int,
    message: str,
    code: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return render(
        request,
        "error.html",
        {
            "message": message,
            "words_key": ERROR_WORDS.get(code),
            "detail": message if code in ERRORS_WITH_DETAIL else None,
        },
        status_code=status,
        headers=headers,
    )
