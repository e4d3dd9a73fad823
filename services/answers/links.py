"""Signed answer links: a contact acknowledges a window, or asks for another time, from its notice.

The notifier signs a token for (window, revision, tenant, contact) into each
notice; the status page checks the signature and shows a confirmation page, and
only that page's form records an answer, so a mail scanner that opens every
link records nothing. A token expires with its window's planned end. It is
signed, not encrypted: it holds nothing its recipient does not already know.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from forewarn.schemas.windows import WindowView

from ..platform.config import EmptyIsUnset

# Bound the work a forged token can cause: a real one is about 200 characters.
MAX_TOKEN = 1024
_SALT = "forewarn.answer.v1"


class AnswerSettings(BaseSettings):
    """Where the status page is reached, and the key its answer links are signed with.

    Read by the notifier (it signs links into notices) and the status page (it
    checks them); both need the same two values.
    """

    model_config = SettingsConfigDict(env_prefix="FOREWARN_", extra="ignore")

    status_url: Annotated[str | None, EmptyIsUnset] = Field(
        default=None,
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="The status page's public address, for links in notices, feeds and tenant URLs. "
        "Unset: http://HOST:PORT, and notices carry no answer links.",
    )
    answer_secret: Annotated[SecretStr | None, EmptyIsUnset] = Field(
        default=None,
        min_length=32,
        description="Signs the answer links in notices (at least 32 characters; the notifier and the status "
        "page need the same). Unset: notices carry no answer links.",
    )

    def answer_links(self) -> AnswerLinks | None:
        """The signer for notices' links, or None when links are not configured."""
        if self.status_url is None or self.answer_secret is None:
            return None
        return AnswerLinks(self.answer_secret.get_secret_value(), self.status_url)


@dataclass(frozen=True)
class AnswerToken:
    """What an answer link was signed for."""

    window_id: str
    revision: int
    tenant_id: str
    contact: str
    expires: datetime


class AnswerLinks:
    """Signs and reads answer tokens with one secret."""

    def __init__(self, secret: str, base_url: str) -> None:
        self._signer = URLSafeSerializer(secret, salt=_SALT)
        self.base_url = base_url.rstrip("/")

    def token(self, window: WindowView, tenant_id: str, contact: str) -> str:
        expires = int(window.end.timestamp())
        return self._signer.dumps([window.id, window.revision, tenant_id, contact, expires])

    def links(self, window: WindowView, tenant_id: str, contact: str) -> dict[str, str]:
        """The notice's two links: acknowledge, and ask for another time."""
        page = f"{self.base_url}/answer/{self.token(window, tenant_id, contact)}"
        return {"acknowledge": page, "propose": f"{page}?propose=1"}

    def read(self, token: str, now: datetime) -> AnswerToken | None:
        """The token's contents, or None if it is forged, malformed or expired."""
        if len(token) > MAX_TOKEN:
            return None
        try:
            window_id, revision, tenant_id, contact, expires = self._signer.loads(token)
        except (BadSignature, ValueError, TypeError):
            return None
        if not all(isinstance(v, str) for v in (window_id, tenant_id, contact)):
            return None
        if not (isinstance(revision, int) and isinstance(expires, int)):
            return None
        ends = datetime.fromtimestamp(expires, UTC)
        if now >= ends:
            return None
        return AnswerToken(window_id, revision, tenant_id, contact, ends)
