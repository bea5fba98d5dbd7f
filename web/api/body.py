"""Reading a JSON body: a clear 4xx for anything that is not one JSON object."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from web.errors import HTTPError, Invalid


class UnsupportedMediaType(HTTPError):
    status, code = 415, "unsupported_media_type"


async def json_object(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType("send Content-Type: application/json")
    raw = await request.body()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"body is not valid JSON: {exc}", field="body") from exc
    except RecursionError as exc:  # "[[[[...": fits in the size limit, but not on the stack
        raise Invalid("body is nested too deeply", field="body") from exc
    if not isinstance(data, dict):
        raise Invalid("body must be a JSON object", field="body")
    return data
