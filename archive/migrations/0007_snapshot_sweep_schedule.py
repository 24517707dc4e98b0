"""Schedule the snapshot outbox's sweep (archive.tasks.sweep_snapshots) in
django-celery-beat's tables; get_or_create by name so that admins' edits survive."""

from django.db import migrations

NAME = "Arkiv: skicka väntande uttag"
TASK = "archive.tasks.sweep_snapshots"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # Issue 9 "Nothing submitted is lost": every minute, so that a snapshot held up by a
    # broker outage, a retry whose time has come or a snapshot whose worker died starts
    # within minutes, not at the next night's planner. A sweep message not taken within two
    # minutes expires: the next one does the same work.
    schedule, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": TASK, "interval": schedule, "enabled": True, "expire_seconds": 120},
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0006_snapshot_outbox_heartbeat"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
