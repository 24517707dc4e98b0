"""Schedule the hourly timestamp sweep (archive.tasks.timestamp_sweep) in django-celery-beat's
tables; get_or_create by name so that admins' edits survive."""

from django.db import migrations

NAME = "Arkiv: tidsstämpla lagrade filer"
TASK = "archive.tasks.timestamp_sweep"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # Issue 9: files stored before timestamping was on, or whose message was lost, get
    # their token within the hour.
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="15",
        hour="*",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Europe/Stockholm",
    )
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "crontab": schedule, "enabled": True}
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0004_snapshot_timestamps"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
