"""Contacts are people: the pseudonym that takes a forgotten address's place, and text scrubbed
of the address.

Shared by the store's side (inventory, ledger) and the streams' side of
`forewarn contact forget`.
"""

from __future__ import annotations

import hashlib
import re
import secrets


def contact_key(address: str) -> str:
    """The short hash a notice's key holds for its recipient (mail.notice.notice_id)."""
    return hashlib.sha256(address.lower().encode()).hexdigest()[:12]


def new_pseudonym() -> str:
    """An address-shaped stand-in that names nobody (.invalid is reserved, RFC 2606)."""
    return f"forgotten-{secrets.token_hex(8)}@forgotten.invalid"


def scrub(text: str, address: str, pseudonym: str) -> str:
    """Text with every spelling of the address (in any case) and its hash replaced."""
    text = re.sub(re.escape(address), pseudonym, text, flags=re.IGNORECASE)
    return text.replace(contact_key(address), contact_key(pseudonym))
