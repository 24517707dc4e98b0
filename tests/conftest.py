"""Named personas shared by every app's tests (STYLE.md, "Tests")."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.models import Department, Role
from archive.capture import BROWSER_ARGS
from tests.factories import DepartmentFactory, SocialAccountFactory, UserFactory, platform

R = Role.Code


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    """Keep uploads and archive files of each test in its own folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ARCHIVE_ROOT = str(tmp_path / "archive")
    settings.STORAGES = {
        **settings.STORAGES,
        "archive": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "archive")},
        },
    }
    (tmp_path / "archive").mkdir()
    cache.clear()


# The rows data migrations create (roles, platforms, removal reasons, beat schedules).
# A transactional test (browser, live server, real worker) ends with a flush that deletes
# them, so each transactional test first runs those migrations' own functions again; they
# get_or_create, so this changes nothing when the rows are there. (Don't use
# serialized_rollback instead: mixed with plain transactional tests it reloads content
# types that the previous flush already recreated, and fails.)
REFERENCE_DATA = [
    ("accounts.migrations.0002_roles", "create_roles"),
    ("registry.migrations.0002_platforms", "create_platforms"),
    ("registry.migrations.0004_health_reminder_schedule", "create_schedule"),
    ("moderation.migrations.0002_removal_reasons", "seed"),
    ("moderation.migrations.0004_periodic_tasks", "schedule"),
    ("moderation.migrations.0009_anchor_schedule", "schedule"),
    ("archive.migrations.0002_periodic_tasks", "create_schedule"),
    ("accounts.migrations.0004_outgoing_mail_sweep", "create_schedule"),
]


@pytest.fixture(autouse=True)
def _mail_worker(monkeypatch):
    """Run the e-mail task where it is published, as a worker always there would.

    Tests have no Celery worker; without this, `mail.outbox` would stay empty after
    commit. Only the e-mail task: every other task is queued as in production.
    """
    from accounts.tasks import send_outgoing_mail
    from nykvarn_sm.celery import app

    task = app.tasks[send_outgoing_mail.name]
    monkeypatch.setattr(
        task, "apply_async", lambda args=(), kwargs=None, **options: task.apply(args, kwargs)
    )


@pytest.fixture(autouse=True)
def _captures_stay_on_the_machine(settings, monkeypatch):
    """Let no capture reach anything but loopback (tests/archive's `test_site` narrows this
    to the test site's host:port); the environment carries it to workers a test starts."""
    settings.CAPTURE_ALLOWED_HOSTS = ["127.0.0.1"]
    monkeypatch.setenv("CAPTURE_ALLOWED_HOSTS", "127.0.0.1")


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_truncate_guards():
    """Let the flush between transactional tests empty the removal log's tables.

    On PostgreSQL the log refuses TRUNCATE (moderation migration 0008). The flush runs as
    the test database's superuser, who may set `session_replication_role = replica` for
    its own transaction, where ordinary triggers don't fire: the product's guard stays as
    it is, only the suite's own emptying passes it.
    """
    from django.db import transaction
    from django.db.backends.postgresql.operations import DatabaseOperations

    real_flush = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with transaction.atomic(using=self.connection.alias, savepoint=False):
            with self.connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
            real_flush(self, sql_list)

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = real_flush


@pytest.fixture(autouse=True)
def _reference_data(request):
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    for module, function in REFERENCE_DATA:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture
def office_a(db) -> Department:
    """Kultur och fritid: a kontor, with Fritidsfabriken below it."""
    return DepartmentFactory(name="Kultur och fritid", kind=Department.Kind.KONTOR)


@pytest.fixture
def department_a(office_a) -> Department:
    return DepartmentFactory(name="Fritidsfabriken", parent=office_a)


@pytest.fixture
def department_b(db) -> Department:
    office = DepartmentFactory(name="Vård och omsorg", kind=Department.Kind.KONTOR)
    return DepartmentFactory(name="Hemtjänsten", parent=office)


@pytest.fixture
def comms_office(db) -> Department:
    return DepartmentFactory(name="Kommunikationsavdelningen", kind=Department.Kind.AVDELNING)


@pytest.fixture
def communications_officer(comms_office):
    return UserFactory(
        full_name="Karin Kommunikatör", roles=[R.COMMUNICATIONS], departments=[comms_office]
    )


@pytest.fixture
def manager_a(office_a):
    """Manager of Kultur och fritid, and so of Fritidsfabriken below it."""
    return UserFactory(full_name="Christer Chef", roles=[R.MANAGER], departments=[office_a])


@pytest.fixture
def manager_b(department_b):
    return UserFactory(
        full_name="Vera Verksamhetschef", roles=[R.MANAGER], departments=[department_b.parent]
    )


@pytest.fixture
def operator(department_a):
    return UserFactory(full_name="Rasmus Redaktör", roles=[R.OPERATOR], departments=[department_a])


@pytest.fixture
def deputy(department_a):
    return UserFactory(
        full_name="Sara Ställföreträdare", roles=[R.OPERATOR], departments=[department_a]
    )


@pytest.fixture
def operator_b(department_b):
    return UserFactory(full_name="Hanna Hemtjänst", roles=[R.OPERATOR], departments=[department_b])


@pytest.fixture
def archivist(db):
    return UserFactory(full_name="Arvid Arkivarie", roles=[R.ARCHIVIST])


@pytest.fixture
def administrator(db):
    return UserFactory(full_name="Ada Administratör", roles=[R.ADMINISTRATOR])


@pytest.fixture
def outsider(db):
    """Logged in, but with no role and no department."""
    return UserFactory(full_name="Olle Utomstående")


@pytest.fixture
def account_a(department_a, operator, deputy):
    """An active Facebook account of Fritidsfabriken, run by `operator` with `deputy`."""
    return SocialAccountFactory(
        name="Fritidsfabriken",
        url="https://www.facebook.com/fritidsfabriken",
        normalized_url="facebook.com/fritidsfabriken",
        department=department_a,
        owner=operator,
        deputies=[deputy],
    )


@pytest.fixture
def account_b(department_b, operator_b, manager_b):
    return SocialAccountFactory(
        name="Hemtjänsten Nykvarn",
        url="https://www.instagram.com/hemtjanstennykvarn",
        normalized_url="instagram.com/hemtjanstennykvarn",
        platform=platform("instagram"),
        department=department_b,
        owner=operator_b,
    )


# --- browser tests ------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
# The capture's flags: no background, update or telemetry requests of Chromium's own.
CHROMIUM_ARGS = BROWSER_ARGS
# Browser tests talk to the live server on loopback, directly; everything else (Chromium's
# own requests that no flag stops) goes to this closed loopback port, and so nowhere.
NOWHERE_PROXY = {"server": "http://127.0.0.1:9", "bypass": "localhost,127.0.0.1,[::1]"}


@pytest.fixture
def browser_page(live_server):
    """A Playwright page in Debian's Chromium (never a downloaded browser).

    Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    between browser steps are still synchronous, hence DJANGO_ALLOW_ASYNC_UNSAFE.
    """
    import os
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, proxy=NOWHERE_PROXY
        )
        context = browser.new_context(locale="sv-SE", base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # ORM calls made while Playwright's loop runs open connections in that loop's
            # context; close them here, or PostgreSQL refuses to drop the test database.
            from django.db import connections

            connections.close_all()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def browser_login(page, user, password=None):
    """Log in through the real login form."""
    from tests.factories import TEST_PASSWORD

    page.goto("/konto/login/")
    page.get_by_label("E-postadress").fill(user.email)
    page.get_by_label("Lösenord").fill(password or TEST_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url("**/")
