"""Timestamps of the admin API (RFC 3339, ``Z`` for UTC) as ``datetime``."""

from __future__ import annotations

from datetime import datetime


def iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
