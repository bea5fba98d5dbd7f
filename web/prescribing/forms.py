"""Reading the workflow pages' forms and path parameters."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request

from web.errors import Invalid

Form = dict[str, list[str]]
CSRF_FIELD = "csrf_token"


async def read_form(request: Request) -> Form:
    """Every submitted field as a list of its values (checkbox groups repeat a name), without the
    CSRF token. A file upload has no place in these forms and is refused."""
    form = await request.form()
    result: Form = {}
    for key, value in form.multi_items():
        if key == CSRF_FIELD:
            continue
        if isinstance(value, UploadFile):
            raise Invalid("files are not accepted here", field=key[:60])
        result.setdefault(key, []).append(value)
    return result


def single(form: Form, name: str) -> str | None:
    """The one value of a field; None when absent. Two values for a single field are refused."""
    values = form.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise Invalid("was sent more than once", field=name[:60])
    return values[0]


def show_number(value: float) -> str:
    """72 for 72.0, 72.5 for 72.5: how a measurement reads on a page."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
