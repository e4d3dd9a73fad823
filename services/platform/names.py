"""The services forewarn runs, in the order a stack starts them.

Apart from the runtime, so that the CLI can name them without loading them.
"""

import os

SERVICES = ("scheduler", "impact", "notifier", "reporter", "statuspage", "inventory", "replies")


def mailbox_configured() -> bool:
    """Whether the organizer's mailbox is named, so that `forewarn up` reads calendars' answers too."""
    return bool(os.environ.get("FOREWARN_IMAP_HOST"))


def openstack_configured() -> bool:
    """Whether an OpenStack cloud is named, so that `forewarn up` runs the inventory too."""
    return any(os.environ.get(name) for name in ("FOREWARN_OPENSTACK_CLOUDS", "OS_CLOUD", "OS_AUTH_URL"))
