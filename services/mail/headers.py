"""Every mail header that holds data is built here, and only here.

A header's text is read the way a mail client will read it: RFC 2047 encoded
words are decoded first (`=?utf-8?q?a=0D=0AReply-To:_x?=` is a CR LF and a
second header to a client, whatever it looks like to us), then the text rules
apply (no line break, no control or bidi character survives), and then it is
encoded again for the way out. So text from a title, an inventory or a cloud
ends as one header, read by every client as what forewarn checked.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from email.message import Message
from email.policy import Compat32, compat32
from email.utils import formataddr

from forewarn.schemas.base import printable

_SPACE = re.compile(r"\s+")
# Headers written as given, with SMTP's line ends.
AS_GIVEN = compat32.clone(linesep="\r\n")
# Printable ASCII in single spaces, with nothing a client would decode: sent as it is.
_PLAIN = re.compile(r"[!-~]+(?: [!-~]+)*")
# 42 bytes are 56 characters of base64: with "=?utf-8?b?" and "?=", a 68-character
# word, which fits on the first line beside "Subject: " (78 at most).
_WORD_BYTES = 42
# What an address may not hold: what would end it, add another, or break the line.
_NOT_IN_ADDRESS = re.compile(r"[\s<>,;:\"()\[\]\\\x00-\x1f\x7f]")
# An encoded word as the most lenient reader finds one (the email package's own pattern):
# anywhere, with or without whitespace around it, its text running to the next "?=".
_WORD = re.compile(r"=\?([^?]*?)\?([qQbB])\?(.*?)\?=", re.DOTALL)
# Decoding can reveal further encoded words: decode until none is left, this many times at most.
_DECODE_ROUNDS = 8


def one_line(text: str) -> str:
    """Text as a client will show it in a header: encoded words decoded, one line, nothing unsafe.

    What is left holds no `=?` at all (one is written `= ?`): no reader can then
    find an encoded word in it, alone or run together with the words that the
    email package writes beside it when it folds the header.
    """
    for _ in range(_DECODE_ROUNDS):
        decoded = _WORD.sub(_decode_word, text)
        if decoded == text:
            break
        text = decoded
    text = _SPACE.sub(" ", printable(text.replace("\r", " ").replace("\n", " "))).strip()
    while "=?" in text:
        text = text.replace("=?", "= ?")
    return text


def text(value: str) -> str:
    """A header value (a subject, say) from data: checked as a client reads it, encoded on the way out."""
    value = one_line(value)
    return value if _sent_as_is(value) else encoded_words(value)


def mailbox(name: str, address: str) -> str:
    """`Name <address>`: the name checked and encoded as `text`, the address refused if it could break out."""
    address = bare_address(address)
    name = one_line(name)
    if not name or _sent_as_is(name):
        return formataddr((name, address))
    return f"{encoded_words(name)} <{address}>"


def bare_address(address: str) -> str:
    """An address alone, refused (ValueError) if it holds what could end it or add a header."""
    if address.count("@") != 1 or _NOT_IN_ADDRESS.search(address):
        raise ValueError(f"not a single mail address: {address!r}")
    return address


def set_data_headers(msg: Message, *, subject: str, sender: tuple[str, str], to: tuple[str, str]) -> None:
    """Subject, From and To of a mail, each through the rules above, written as built here.

    Call it once the content is set. A message of the email package's modern
    policies parses each header again and folds it anew, and that folding can
    run raw text into the encoded words it makes (or split one of its own); so
    the message is switched to compat32, which writes a header as it is given.
    """
    if not isinstance(msg.policy, Compat32):
        msg.policy = AS_GIVEN
    msg["Subject"] = text(subject)
    msg["From"] = mailbox(*sender)
    msg["To"] = mailbox(*to)


def encoded_words(value: str) -> str:
    """Text as UTF-8 encoded words of at most 75 characters each, split between characters.

    The generator folds a long header at the spaces between them, so no line
    exceeds what SMTP servers take. (The email package's own encoder writes
    words of 76 characters, one over RFC 2047's limit.)
    """
    chunks: list[bytes] = [b""]
    for char in value:
        data = char.encode()
        if len(chunks[-1]) + len(data) > _WORD_BYTES:
            chunks.append(b"")
        chunks[-1] += data
    return " ".join(f"=?utf-8?b?{base64.b64encode(chunk).decode()}?=" for chunk in chunks)


def _sent_as_is(value: str) -> bool:
    return value.isascii() and bool(_PLAIN.fullmatch(value) or not value)


def _decode_word(match: re.Match[str]) -> str:
    charset, encoding, data = match.groups()
    try:
        codec = codecs.lookup(charset.partition("*")[0].strip() or "utf-8").name
    except LookupError:
        codec = "utf-8"
    try:
        if encoding in "bB":
            data = "".join(data.split())
            raw = base64.b64decode(data + "=" * (-len(data) % 4))
        else:
            raw = binascii.a2b_qp(data.encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return match.group(0).replace("=?", "= ?")  # undecodable: shown as text, never as a word
    return raw.decode(codec, errors="replace")
