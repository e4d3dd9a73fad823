"""Settings of the inventory's OpenStack source and of `forewarn run inventory`."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Annotated

from pydantic import Field, SecretStr

from ..common.durations import Duration
from ..platform.config import CommonSettings, EmptyIsUnset
from .openstack import Conventions

# openstacksdk's own ways of naming a cloud, read by it, not by these settings.
OPENSTACK_SDK_NAMES = ("OS_CLOUD", "OS_AUTH_URL")


class InventorySettings(CommonSettings):
    """FOREWARN_* variables read when the inventory comes from OpenStack."""

    openstack_clouds: str = Field(
        default="",
        description="clouds.yaml entries to sync, comma-separated (e.g. sto,osl). Empty: OS_CLOUD, "
        "or the OS_* variables.",
    )
    openstack_contact_role: str = Field(
        default="maintenance-contact",
        description="The Keystone role whose holders in a project are its contacts.",
    )
    openstack_timezone: str = Field(
        default="UTC", description="Time zone of a site or project whose metadata and tags name none."
    )
    openstack_locale: str = Field(default="en", description="Language of a project whose tags name none.")
    openstack_sync_interval: Duration = Field(
        default=timedelta(minutes=10), description="How often `forewarn run inventory` syncs in full."
    )
    openstack_notifications: Annotated[SecretStr | None, EmptyIsUnset] = Field(
        default=None,
        description="The RabbitMQ URL Nova sends its versioned notifications to (it holds a password); "
        "with several clouds, NAME=URL pairs, comma-separated. Unset: full syncs only.",
    )

    def conventions(self) -> Conventions:
        """How the clouds' names become forewarn's, as these settings say."""
        return Conventions(
            contact_role=self.openstack_contact_role,
            timezone=self.openstack_timezone,
            locale=self.openstack_locale,
        )

    openstack_disable_hosts: bool = Field(
        default=False,
        description="Disable a window's hosts' nova-compute services while it runs (needs an admin "
        "login), so that Nova places no new server there.",
    )

    @property
    def clouds(self) -> list[str]:
        """The clouds.yaml entries to sync; [] means OS_CLOUD or the OS_* variables."""
        return [c.strip() for c in self.openstack_clouds.split(",") if c.strip()]

    @property
    def follows_a_cloud(self) -> bool:
        """Whether a cloud is named, here or for openstacksdk: then `forewarn up` runs the inventory."""
        return bool(self.clouds) or any(os.environ.get(name) for name in OPENSTACK_SDK_NAMES)

    def notification_urls(self, clouds: list[str | None]) -> dict[str | None, str]:
        """Each cloud's notification bus: one URL for a single cloud, else NAME=URL pairs.

        Raises ValueError, naming the variable, for pairs that do not fit the clouds.
        """
        if self.openstack_notifications is None:
            return {}
        text = self.openstack_notifications.get_secret_value().strip()
        pairs = [p.strip() for p in text.split(",") if p.strip()]
        if len(pairs) == 1 and "://" in pairs[0].split("=", 1)[0]:
            if len(clouds) != 1:
                raise ValueError(
                    f"FOREWARN_OPENSTACK_NOTIFICATIONS: one URL for {len(clouds)} clouds; give NAME=URL pairs"
                )
            return {clouds[0]: pairs[0]}
        found: dict[str | None, str] = {}
        for pair in pairs:
            name, _, url = (part.strip() for part in pair.partition("="))
            if name not in clouds or "://" not in url:
                raise ValueError(
                    f"FOREWARN_OPENSTACK_NOTIFICATIONS: {name!r} is not NAME=URL for one of the clouds "
                    f"({', '.join(c or 'OS_CLOUD' for c in clouds)})"
                )
            found[name] = url
        return found
