"""Nova's versioned notifications, read as what they say about a server's place.

Nova publishes them on its own RabbitMQ (oslo.messaging, `messagingv2`): each
body is an envelope whose `oslo.message` field holds the notification as a JSON
string, its `payload` a versioned object (`nova_object.data`). Only a few
events move a server between hosts; the rest are read and left alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

# Events after which a server is on the host its payload names. Not
# live_migration_post.end: the source host sends it after the destination's
# post_dest.end, and its payload still names the source, so it would move the
# server back.
PLACED = frozenset(
    {
        "instance.create.end",
        "instance.live_migration_post_dest.end",
        "instance.live_migration_rollback.end",
        "instance.resize_finish.end",
        "instance.resize_confirm.end",
        "instance.resize_revert.end",
        "instance.evacuate",
        "instance.rebuild.end",
        "instance.unshelve.end",
    }
)
# Events after which a server is on no host.
GONE = frozenset({"instance.delete.end", "instance.shelve_offload.end", "instance.soft_delete.end"})


class NotANotification(ValueError):
    """A message that is not a Nova versioned notification we can read; the reason says why."""


@dataclass(frozen=True)
class ServerMoved:
    """Where a notification says a server now is; host None: on no host at all."""

    message_id: str
    event_type: str
    server_id: str
    project_id: str
    host: str | None
    name: str
    flavor: str | None


def read(body: bytes) -> ServerMoved | None:
    """The server change a notification tells; None for one that tells none (an update, a flavor)."""
    try:
        outer = json.loads(body)
        inner = json.loads(outer["oslo.message"]) if "oslo.message" in outer else outer
        event_type = inner["event_type"]
        message_id = inner["message_id"]
    except (ValueError, KeyError, TypeError) as exc:
        raise NotANotification(f"not an oslo.messaging notification ({type(exc).__name__}: {exc})") from None
    if event_type not in PLACED and event_type not in GONE:
        return None
    try:
        data = inner["payload"]["nova_object.data"]
        server_id = data["uuid"]
        project_id = data["tenant_id"]
    except (KeyError, TypeError) as exc:
        raise NotANotification(f"{event_type} without {exc} in its payload") from None
    flavor = ((data.get("flavor") or {}).get("nova_object.data") or {}).get("name")
    gone = event_type in GONE or data.get("state") in ("deleted", "soft-delete", "shelved_offloaded")
    return ServerMoved(
        message_id=message_id,
        event_type=event_type,
        server_id=server_id,
        project_id=project_id,
        host=None if gone else (data.get("host") or None),
        name=data.get("display_name") or server_id,
        flavor=flavor,
    )
