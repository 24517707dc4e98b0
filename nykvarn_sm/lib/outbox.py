"""Hand work to Celery after commit without ever losing it or failing the request.

The database row that asks for the work (a snapshot in "queued", an e-mail not yet sent) is
the outbox: it is committed with the user's change. Publishing the message is only a hint
to start sooner. When the broker is down, publishing fails after the commit; the failure is
logged and swallowed, so the person who submitted gets their answer and keeps their record,
and a periodic sweep publishes the row again once the broker is back. A task must therefore
be safe to run twice (claim the row with a conditional UPDATE), which every task here is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)


def publish(task: Any, *args: Any, **options: Any) -> bool:
    """Send `task` with `args` to the broker now; False (logged) if the broker refused.

    `options` go to apply_async (e.g. `countdown`). Never raises for a broker fault: the
    caller's row stays in the outbox and the sweep sends it later.
    """
    try:
        task.apply_async(args=args, **options)
    except Exception:  # noqa: BLE001 - any broker/transport fault: the sweep retries
        log.warning("Broker unavailable: %s%r left for the sweep", task.name, args, exc_info=True)
        return False
    return True


def publish_on_commit(
    task: Any, *args: Any, on_published: Callable[[], object] | None = None, **options: Any
) -> None:
    """Publish `task` after the current transaction commits (at once outside one).

    Not `delay_on_commit`: that raises into the request when the broker is down, after the
    change was committed, which turned a saved request into a 500. `on_published` runs
    once the broker took the message (e.g. to record when it was sent); what it raises is
    logged, never raised into the caller (the change is committed by then).
    """

    def send() -> None:
        if publish(task, *args, **options) and on_published is not None:
            on_published()

    transaction.on_commit(send, robust=True)
