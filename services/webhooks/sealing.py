"""Webhook signing secrets, sealed at rest with the operator's key.

Whoever reads the database (a backup, a copy of forewarn.db, a replica) must
not be able to sign a tenant's webhooks. So each endpoint's secret is stored
as a Fernet token under FOREWARN_SECRET_KEY, which lives in the environment
only. The key may list several keys: the first seals, every one opens, so a
key is rotated by putting the new one first, letting `forewarn webhook reseal`
(or the notifier's next start) seal everything anew, and then dropping the old.
A secret stored by an earlier release is in clear; it is sealed the same way.
"""

from __future__ import annotations

import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, select

from ..platform.config import StartupError
from ..platform.db import transaction
from .store import WebhookEndpoint

log = logging.getLogger("forewarn.webhooks")

PREFIX = "fernet:"
NO_KEY = (
    "FOREWARN_SECRET_KEY: not set; webhook secrets are sealed with it "
    "(make one with `forewarn webhook new-key`)"
)


class Sealer:
    """Seals and opens secrets with one or more Fernet keys."""

    def __init__(self, keys: SecretStr) -> None:
        parts = keys.get_secret_value().replace(",", " ").split()
        try:
            self._keys = [Fernet(part.encode()) for part in parts]
        except ValueError:
            raise StartupError(
                "FOREWARN_SECRET_KEY: each key must be 32 bytes in URL-safe base64, as "
                "`forewarn webhook new-key` makes them"
            ) from None
        if not self._keys:
            raise StartupError(NO_KEY)
        self._box = MultiFernet(self._keys)

    def seal(self, secret: str) -> str:
        return PREFIX + self._box.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        """The secret itself; one an earlier release stored in clear is returned as it is."""
        if not stored.startswith(PREFIX):
            return stored
        try:
            return self._box.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise StartupError(
                "FOREWARN_SECRET_KEY: holds no key that opens a stored webhook secret (was a key dropped?)"
            ) from None

    def current(self, stored: str) -> bool:
        """Whether this is sealed with the first key (a clear or older one is sealed anew)."""
        if not stored.startswith(PREFIX):
            return False
        try:
            self._keys[0].decrypt(stored.removeprefix(PREFIX).encode())
        except InvalidToken:
            return False
        return True


def sealer(key: SecretStr | None) -> Sealer:
    """The sealer FOREWARN_SECRET_KEY makes; a one-line StartupError without it."""
    if key is None or not key.get_secret_value().strip():
        raise StartupError(NO_KEY)
    return Sealer(key)


def reseal_all(session: Session, box: Sealer) -> int:
    """Seal with the first key every secret stored in clear or under an older key; how many changed."""
    changed = 0
    for endpoint in session.exec(select(WebhookEndpoint)):
        for field in ("secret", "previous_secret"):
            stored = getattr(endpoint, field)
            if stored and not box.current(stored):
                setattr(endpoint, field, box.seal(box.open(stored)))
                changed += 1
        session.add(endpoint)
    return changed


def sealer_at_start(key: SecretStr | None, engine: Engine) -> Sealer | None:
    """The notifier's sealer, every stored secret sealed under its first key.

    Without a key it refuses to start if any endpoint exists (its deliveries
    could not be signed), and starts without webhooks if none does.
    """
    with transaction(engine) as session:
        if key is None or not key.get_secret_value().strip():
            if session.exec(select(WebhookEndpoint.id).limit(1)).first() is not None:
                raise StartupError(f"{NO_KEY}, and the store holds webhook endpoints")
            return None
        box = sealer(key)
        changed = reseal_all(session, box)
    if changed:
        log.info("sealed %s webhook secrets with the first key of FOREWARN_SECRET_KEY", changed)
    return box
