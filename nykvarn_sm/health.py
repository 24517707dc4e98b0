"""`GET /healthz`: the state of each dependency, for monitoring and load balancers.

Answered by `HealthCheckMiddleware`, first in MIDDLEWARE, before the session and user
middleware would touch the database. Each check runs in its own thread with its own
timeout (HEALTHZ_TIMEOUT), side by side, so a database, broker or file share that accepts
connections and never answers turns into a 503 within seconds, not a hung request.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def check_database(timeout: float) -> None:
    """Open a connection of its own, with the check's connect and statement timeouts.

    Not the request's connection: that one may be persistent (CONN_MAX_AGE) or hung, and a
    connection made in this thread must be closed here.
    """
    params = {**connections.settings[DEFAULT_DB_ALIAS]}
    if params["ENGINE"] == "django.db.backends.postgresql":
        params["OPTIONS"] = {
            **params.get("OPTIONS", {}),
            # libpq counts whole seconds, and no fewer than 2.
            "connect_timeout": max(2, int(timeout)),
            "options": f"-c statement_timeout={int(timeout * 1000)}",
        }
    wrapper = load_backend(params["ENGINE"]).DatabaseWrapper(params, DEFAULT_DB_ALIAS)
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        wrapper.close()


def check_broker(timeout: float) -> None:
    from nykvarn_sm.celery import app

    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    with app.connection_for_write(connect_timeout=timeout, transport_options=options) as conn:
        conn.ensure_connection(max_retries=1, timeout=max(1, int(timeout)))
        if conn.transport_cls == "filesystem" or conn.transport.driver_type == "filesystem":
            folder = app.conf.broker_transport_options.get("data_folder_out", "")
            if not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
                raise OSError(f"broker folder {folder} is missing or read-only")


def check_archive_storage(timeout: float) -> None:
    """The office share under ARCHIVE_ROOT is there and writable (ARC-2; issue 9)."""
    from archive.storage import archive_storage_problem

    problem = archive_storage_problem()
    if problem is not None:
        raise OSError(problem)


class RemovalLogUnguarded(Exception):
    """A trigger that keeps the removal log append-only is missing or disabled."""


def check_moderation_log(timeout: float) -> None:
    """The removal log's PostgreSQL triggers are in place (MOD-1; issue 9)."""
    from moderation.checks import moderation_triggers_problem

    try:
        problem = moderation_triggers_problem()
    finally:
        # The check asked through this thread's own connection: close it here.
        connections[DEFAULT_DB_ALIAS].close()
    if problem is not None:
        raise RemovalLogUnguarded(problem)


CHECKS: dict[str, Callable[[float], None]] = {
    "database": check_database,
    "broker": check_broker,
    "archive_storage": check_archive_storage,
    "moderation_log": check_moderation_log,
}


def run_checks(timeout: float) -> dict[str, dict[str, str]]:
    """Run every check side by side; one that has not finished after `timeout` is down.

    The threads are daemons: a check stuck in the kernel (a hard-mounted share that went
    away) cannot be stopped, but it no longer holds the answer up, nor the process's exit.
    """
    results: dict[str, dict[str, str]] = {
        name: {"status": "down", "error": "timeout"} for name in CHECKS
    }

    def run(name: str, check: Callable[[float], None]) -> None:
        try:
            check(timeout)
        except Exception as exc:  # any failure means "down"; the reason goes to the log
            logger.warning("health check %s failed: %s", name, exc)
            results[name] = {"status": "down", "error": type(exc).__name__}
        else:
            results[name] = {"status": "up"}

    threads = [
        threading.Thread(target=run, args=(name, check), name=f"healthz-{name}", daemon=True)
        for name, check in CHECKS.items()
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    for thread in threads:
        if thread.is_alive():
            logger.warning("health check %s timed out after %ss", thread.name, timeout)
    return {name: dict(results[name]) for name in CHECKS}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when every dependency is up, 503 naming the ones that are down."""
    results = run_checks(settings.HEALTHZ_TIMEOUT)
    healthy = all(r["status"] == "up" for r in results.values())
    return JsonResponse(
        {"status": "up" if healthy else "down", "checks": results},
        status=200 if healthy else 503,
    )


class HealthCheckMiddleware:
    """Answer `/healthz` before the session and authentication middleware run.

    They read the session (and the user) from the database when a cookie comes with the
    request, so with the database hung the probe would hang too, or fail with an HTML 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz":
            return healthz(request)
        return self.get_response(request)
