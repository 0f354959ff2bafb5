"""Who makes a change: a person, a partner system, or the command line."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask import g, has_request_context


class ActorType(enum.StrEnum):
    USER = "user"
    CLIENT = "client"
    CLI = "cli"  # the command line (seeding, user and client management)


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a person, a partner system, or the command line."""

    type: ActorType
    id: str | None
    label: str


COMMAND_LINE = Actor(ActorType.CLI, None, "command line")


def current_actor() -> Actor:
    if has_request_context() and g.get("actor") is not None:
        return g.actor
    return COMMAND_LINE
