"""Schedule the daily health reminder in django-celery-beat's tables, where admins edit it."""

from django.db import migrations

TASK = "registry.tasks.send_health_reminders"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="7", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="Europe/Stockholm",
    )
    # get_or_create by name: an admin's later edits to the schedule survive migrating again.
    PeriodicTask.objects.get_or_create(
        name="Kontoregister: daglig hälsopåminnelse",
        defaults={"task": TASK, "crontab": schedule, "enabled": True},
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_people_health"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
