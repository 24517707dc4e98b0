"""Schedule the archive's planner (daily) and fixity check (monthly) in django-celery-beat's
tables, where admins edit them; get_or_create by name so that their edits survive."""

from django.db import migrations

TASKS = [
    # ARC-1: every active account gets its periodic snapshot; a missed day heals the next.
    ("Arkiv: planera periodiska uttag", "archive.tasks.plan_snapshots",
     {"minute": "30", "hour": "2", "day_of_week": "*", "day_of_month": "*"}),
    # Fixity: recompute every file's SHA-256 once a month.
    ("Arkiv: kontrollera kontrollsummor", "archive.tasks.verify_archive",
     {"minute": "0", "hour": "4", "day_of_week": "*", "day_of_month": "1"}),
]


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, cron in TASKS:
        schedule, _ = CrontabSchedule.objects.get_or_create(
            month_of_year="*", timezone="Europe/Stockholm", **cron
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": schedule, "enabled": True}
        )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task__in=[task for _, task, _ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
