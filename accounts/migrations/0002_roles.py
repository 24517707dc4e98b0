"""Create one Role row per Role.Code; roles are then assigned to users in the admin."""

from django.db import migrations

CODES = ["kommunikator", "chef", "redaktor", "arkivarie", "administrator"]


def create_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code in CODES:
        Role.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
