"""Who makes a change: a person, a partner system, or the command line."""

from __future__ import annotations

import enum
import getpass
import os
from dataclasses import dataclass

from flask import g, has_request_context


class ActorType(enum.StrEnum):
    USER = "user"
    CLIENT = "client"
    CLI = "cli"  # the command line (seeding, user and client management)
    EMAIL_LINK = "email_link"  # a recipient of a reminder who re-confirmed an entry


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a person, a partner system, or the command line."""

    type: ActorType
    id: str | None
    label: str


COMMAND_LINE = Actor(ActorType.CLI, None, "command line")


def os_user() -> str:
    """Who runs the command: the operating-system account (a cron job's too)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. a bare container)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def system_actor() -> Actor:
    """The command line (seed, `flask users`, `flask clients`): `system`, with the OS user."""
    user = os_user()
    return Actor(ActorType.CLI, user[:100], f"system ({user})")


def current_actor() -> Actor:
    """The signed-in person or partner system of this request; otherwise the command line."""
    if has_request_context() and g.get("actor") is not None:
        return g.actor
    return system_actor()
