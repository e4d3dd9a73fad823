"""Ops' chat set-up: Apprise URLs checked at start, and the process's mail encoding left as it was."""

from __future__ import annotations

import email.charset

import pytest

from forewarn.services.platform.config import StartupError
from forewarn.services.reporter.chat import OpsChat


def test_apprise_leaves_the_process_s_mail_encoding_alone() -> None:
    before = dict(email.charset.CHARSETS)
    chat = OpsChat(["json://127.0.0.1:9/chat", "mailto://user:pass@example.net"], engine=None)
    assert chat.enabled and before == email.charset.CHARSETS


def test_a_url_apprise_does_not_know_stops_the_start_without_showing_it() -> None:
    with pytest.raises(StartupError, match="entry 2 is not") as refused:
        OpsChat(["json://127.0.0.1:9/chat", "nosuchscheme://secret-token@x"], engine=None)
    assert "secret-token" not in str(refused.value)
    assert not OpsChat([], engine=None).enabled
