"""Register the test cloud's service users and catalog in Keystone (run by cloud.sh start)."""

from __future__ import annotations

import sys

import openstack

SERVICES = {
    # name: (type, URL)
    "nova": ("compute", "http://127.0.0.1:8774/v2.1"),
    "placement": ("placement", "http://127.0.0.1:8778"),
    "glance": ("image", "http://127.0.0.1:9292"),
}


def main(password: str) -> None:
    conn = openstack.connect(cloud="forewarn-admin")
    identity = conn.identity
    service_project = identity.find_project("service") or identity.create_project(
        name="service", domain_id="default"
    )
    admin = identity.find_role("admin")
    for name, (kind, url) in SERVICES.items():
        user = identity.find_user(name) or identity.create_user(
            name=name, password=password, domain_id="default"
        )
        identity.assign_project_role_to_user(service_project, user, admin)
        service = identity.create_service(name=name, type=kind)
        for interface in ("public", "internal", "admin"):
            identity.create_endpoint(
                service_id=service.id, interface=interface, url=url, region_id="RegionOne"
            )


if __name__ == "__main__":
    main(sys.argv[1])
