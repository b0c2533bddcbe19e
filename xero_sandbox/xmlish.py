"""The XML Xero answers when a client forgets `Accept: application/json` (close enough to notice)."""

from __future__ import annotations

from datetime import date, datetime
from xml.sax.saxutils import escape

from .msdate import iso_local, truth_timestamp
from .streams import StreamDef


def render_xml(envelope: dict, definition: StreamDef) -> str:
    parts = ['<Response xmlns:i="http://www.w3.org/2001/XMLSchema-instance">']
    for name, value in envelope.items():
        if name == definition.key:
            parts.append(f"<{name}>")
            for record in value:
                parts.append(_element(definition.component, record))
            parts.append(f"</{name}>")
        elif name != "pagination":
            parts.append(_element(name, value))
    parts.append("</Response>")
    return "".join(parts)


def _element(name: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return f"<{name}>" + "".join(_element(k, v) for k, v in value.items()) + f"</{name}>"
    if isinstance(value, list):
        singular = name[:-1] if name.endswith("s") else name
        return f"<{name}>" + "".join(_element(singular, v) for v in value) + f"</{name}>"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, datetime):
        text = truth_timestamp(value)[:-1]
    elif isinstance(value, date):
        text = iso_local(value)
    else:
        text = str(value)
    return f"<{name}>{escape(text)}</{name}>"
