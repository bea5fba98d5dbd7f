"""Reading a JSON body: a clear 4xx for anything that is not one JSON object."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from coach.input_check import InputRejected, checked_json
from web.errors import HTTPError, Invalid


class UnsupportedMediaType(HTTPError):
    status, code = 415, "unsupported_media_type"


async def json_object(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType("send Content-Type: application/json")
    raw = await request.body()
    try:
        data = checked_json(raw)
    except InputRejected as exc:
        raise Invalid(f"{exc.where or 'body'}: {exc.reason}", field=exc.where or "body") from None
    if not isinstance(data, dict):
        raise Invalid("body must be a JSON object", field="body")
    return data
