"""Faults injected for real: a broker that is not there, Redis servers the test starts and
stops, Celery workers the test starts and kills (issue 9, "Nothing submitted is lost")."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

needs_postgres_and_redis = pytest.mark.skipif(
    not django_settings.CELERY_BROKER_URL.startswith("redis://")
    or django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs CELERY_BROKER_URL=redis://… and a PostgreSQL DATABASE_URL (make faults): "
    "the worker is a separate process and cannot share SQLite's in-memory test database",
)
needs_redis_server = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs Debian's redis-server"
)


def free_port() -> int:
    """Return a loopback port where nothing listens (bound and released at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def broker(url: str) -> Iterator[None]:
    """Point this process's Celery app at `url` (its connection pools made anew)."""
    from nykvarn_sm.celery import app

    def reset() -> None:
        from kombu import pools

        pools.reset()  # closes every pool and forgets them, so the next one is made anew
        app._pool = None
        app.amqp._producer_pool = None

    # Celery reads the CELERY_BROKER_URL environment variable before its own setting.
    old, old_env = app.conf.broker_url, os.environ.get("CELERY_BROKER_URL")
    reset()
    app.conf.broker_url = os.environ["CELERY_BROKER_URL"] = url
    try:
        yield
    finally:
        reset()
        app.conf.broker_url = old
        if old_env is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = old_env


def drain(queue: str = "celery") -> list[tuple[str, list[object]]]:
    """Take every message from `queue` of the current broker: (task name, args) pairs."""
    from nykvarn_sm.celery import app

    found = []
    with app.connection_for_read() as conn:
        simple = conn.SimpleQueue(queue)
        try:
            while True:
                try:
                    message = simple.get(block=False)
                except simple.Empty:
                    break
                args = message.decode()[0]
                found.append((message.headers["task"], list(args)))
                message.ack()
        finally:
            simple.close()
    return found


class RedisServer:
    """A Redis server on a free loopback port that the test starts and stops itself."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 15, "redis-server to answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def _answers(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock,
        ):
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
        return False


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of a worker process that shares this test's database and folders."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        "ARCHIVE_ROOT": str(django_settings.ARCHIVE_ROOT),
        "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        "CAPTURE_ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
        "ARCHIVE_HEARTBEAT_INTERVAL": "1",
        "ARCHIVE_HEARTBEAT_TIMEOUT": str(django_settings.ARCHIVE_HEARTBEAT_TIMEOUT),
        **extra,
    }


def start_worker(env: dict[str, str], log: Path, queue: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "nykvarn_sm",
            "worker",
            "-Q",
            queue,
            "-c",
            "1",
            "-P",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if worker.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, sig)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)


def wait_for(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    every: Callable[[], object] | None = None,
    log: Path | None = None,
) -> float:
    """Wait until `predicate()`; return the seconds it took. `every` runs on each round (the
    minute's sweep, run here every half second as beat would run it every minute); `log`,
    a worker's log, is shown when the wait times out."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        if every is not None:
            every()
        time.sleep(0.5)
    tail = "\n" + log.read_text()[-6000:] if log is not None and log.exists() else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}{tail}")


def png_upload(name: str = "sida.png"):
    """A real PNG screenshot, as the upload form receives it."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/png")


def archive_files(pattern: str = "*") -> list[Path]:
    """Every file under ARCHIVE_ROOT matching `pattern`, hidden ones (".tmp-…") too."""
    return sorted(p for p in Path(django_settings.ARCHIVE_ROOT).rglob(pattern) if p.is_file())


def png_file_on_disk(folder: Path) -> Path:
    """A real PNG screenshot as a file, for `manage.py snapshot --from-file`."""
    path = folder / "sida.png"
    path.write_bytes(png_upload().read())
    return path
