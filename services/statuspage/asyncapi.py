"""The AsyncAPI document as a readable page, rendered here: no CDN, no 'try it out'."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class Operation:
    """One subscriber or publisher: who does what on which subject, with which payload."""

    handler: str
    action: str
    address: str
    description: str
    payload: str
    fields: tuple[Field, ...]


def _ref(node: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    """Follow a local $ref ('#/a/b') to what it points at."""
    while "$ref" in node:
        target = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[unquote(part).replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_type(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list[{_type(schema.get('items', {}))}]"
    if "const" in schema:
        return repr(schema["const"])
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    kind = schema.get("type", "any")
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def operations(doc: dict[str, Any]) -> list[Operation]:
    """Every operation of the document, sorted by subject."""
    out = []
    for name, op in doc.get("operations", {}).items():
        channel = _ref(op["channel"], doc)
        for message_ref in op.get("messages", []):
            message = _ref(message_ref, doc)
            payload = message.get("payload", {})
            schema = _ref(payload, doc)
            required = set(schema.get("required", []))
            fields = tuple(
                Field(field, _type(spec), field in required, spec.get("description", ""))
                for field, spec in schema.get("properties", {}).items()
            )
            out.append(
                Operation(
                    # "maint.cmd.book:BookWindow" names the handler "BookWindow".
                    handler=name.rsplit(":", 1)[-1].removesuffix("Subscribe"),
                    action="consumes" if op["action"] == "receive" else "publishes",
                    address=channel.get("address", ""),
                    description=op.get("description", "") or channel.get("description", ""),
                    payload=schema.get("title", payload.get("$ref", "").rsplit("/", 1)[-1]),
                    fields=fields,
                )
            )
    return sorted(out, key=lambda o: (o.address, o.action, o.handler))
