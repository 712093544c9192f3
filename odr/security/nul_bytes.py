"""NUL characters in a request's path, query or url-encoded form are refused with a 400 naming
the field (a "%00" anywhere PostgreSQL sees it was a 500: text columns cannot hold NUL).

Text fields of complaints and actions refuse every control character themselves; this guard is
for what no field check sees first: ids in the path, filters in the query, login and tracking
forms. Multipart bodies are left to their fields (files hold NUL bytes by right).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from litestar import Request

from odr.engine.fields import CONTROL_CHARACTERS_ERROR
from odr.errors import InvalidData

URL_ENCODED = "application/x-www-form-urlencoded"


def _nul_fields(encoded: str, where: str) -> list[str]:
    return [
        name.replace("\x00", "") or where
        for name, value in parse_qsl(encoded, keep_blank_values=True)
        if "\x00" in name or "\x00" in value
    ]


async def refuse_nul_bytes(request: Request) -> None:
    """before_request: raise InvalidData (problem+json under /api, an error page elsewhere)."""
    fields = ["path"] if "\x00" in request.scope["path"] else []
    query = request.scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        fields += _nul_fields(query.decode("latin-1"), "query")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == URL_ENCODED and request.method != "GET":
        body = await request.body()
        if b"%00" in body or b"\x00" in body:
            fields += _nul_fields(body.decode("latin-1"), "body")
    if fields:
        raise InvalidData(dict.fromkeys(fields, CONTROL_CHARACTERS_ERROR))
