"""Settings of the inventory's OpenStack source."""

from __future__ import annotations

from pydantic import Field

from ..config import CommonSettings


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

    @property
    def clouds(self) -> list[str]:
        """The clouds.yaml entries to sync; [] means OS_CLOUD or the OS_* variables."""
        return [c.strip() for c in self.openstack_clouds.split(",") if c.strip()]
