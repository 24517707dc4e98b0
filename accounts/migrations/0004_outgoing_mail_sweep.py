"""Schedule the outgoing-mail sweep in django-celery-beat's tables, where admins edit it;
get_or_create by name so that their edits survive."""

from django.db import migrations

TASK = "accounts.tasks.sweep_outgoing_mail"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # Every minute: a notice held up by a broker outage goes out within minutes of its
    # return, not at the next day's run.
    schedule, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="E-post: skicka väntande meddelanden",
        defaults={"task": TASK, "interval": schedule, "enabled": True},
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_outgoing_mail"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
