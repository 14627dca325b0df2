"""Mail for the accounts interop tests: an aiosmtpd ``Inbox`` on a loopback port that keeps every
message, and readers of the links and codes in a message's plain-text part.

Tests wait for a message to an address whose subject contains a word (one of the subjects of the
default templates below), after a ``mark`` taken before the action that sends it.
"""

from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller

DELIVERY_TIMEOUT = 20.0


# --------------------------------------------------------------------------- SMTP


class Inbox:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.messages.append(([r.lower() for r in envelope.rcpt_tos], message))
        return "250 OK"

    def mark(self) -> int:
        """A position: ``wait`` with ``since=mark`` only sees messages that arrived later."""
        with self.lock:
            return len(self.messages)

    def matching(self, to: str, subject: str = "", since: int = 0) -> list[email.message.EmailMessage]:
        with self.lock:
            return [
                m
                for rcpts, m in self.messages[since:]
                if to.lower() in rcpts and subject.lower() in str(m["Subject"]).lower()
            ]

    def wait(
        self, to: str, subject: str = "", since: int = 0, timeout: float = DELIVERY_TIMEOUT
    ) -> email.message.EmailMessage:
        """The first message to ``to`` whose subject contains ``subject`` (after ``since``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.matching(to, subject, since)
            if found:
                return found[0]
            time.sleep(0.05)
        with self.lock:
            seen = [(r, str(m["Subject"])) for r, m in self.messages[since:]]
        raise AssertionError(f"no message to {to} with {subject!r} within {timeout}s; received: {seen}")

    def count(self, to: str, subject: str = "", since: int = 0) -> int:
        return len(self.matching(to, subject, since))


@contextmanager
def smtp_server(port: int, inbox: Inbox | None = None):
    inbox = inbox or Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def mail_text(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def mail_link(message: email.message.EmailMessage, path: str) -> str:
    """The link of ``message`` whose path ends with ``path`` (``/verify-email``, ``/reset``, ``/magic``)."""
    for url in re.findall(r"https?://\S+", mail_text(message)):
        if urlsplit(url).path.endswith(path) and "token=" in url:
            return url
    raise AssertionError(f"no {path} link in:\n{mail_text(message)}")


def mail_code(message: email.message.EmailMessage) -> str:
    # A word of its own: the tenant's name and the links' tokens may contain digits.
    found = re.findall(r"(?:^|\s)(\d{6})(?=\s|$)", mail_text(message), re.M)
    assert found, f"no 6-digit code in:\n{mail_text(message)}"
    return found[0]


# Subjects of the default templates (templates/email/*.subject.mustache).
VERIFY = "confirm your email"
RESET = "reset your"
MAGIC = "sign-in link"
CODE = "verification code"
MFA_CHANGE = "sign-in methods changed"
RECOVERY_USED = "recovery code was used"
