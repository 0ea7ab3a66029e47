"""Who is claiming: the one name a running bot writes into every claim it takes in the
database (reminders, pages, tickets, alert groups, nudges), so a claim can be told apart from
another replica's, and a claim taken over after its lease from the claimer that lost it."""

from __future__ import annotations

import os
import socket
import uuid

MAX_LENGTH = 64  # the width of the claimed_by columns


def new_instance_id() -> str:
    """host:pid:random, unique per running bot even when tests run several in one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:MAX_LENGTH]
