"""Schedule the moderation tasks in django-celery-beat; admins may edit the rows later and
their edits survive (get_or_create never overwrites)."""

from django.db import migrations

# (name, task, minute, hour, day_of_week)
SCHEDULES = [
    ("Moderering: kontrollera loggens kedja", "moderation.tasks.verify_log", "15", "5", "*"),
    ("Moderering: påminn om diarieföring", "moderation.tasks.remind_handoffs", "0", "8", "1-5"),
    ("Moderering: påminn om obesvarade", "moderation.tasks.remind_overdue", "5", "7-17",
     "1-5"),
]


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour, dow in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week=dow, day_of_month="*", month_of_year="*",
            timezone="Europe/Stockholm",
        )
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0003_append_only_triggers"),
        ("django_celery_beat", "0018_improve_crontab_helptext"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
