"""Seed the removal reasons of Bilaga 1 "Inläggshantering och avpublicering" (MOD-2).

They are configuration afterwards: the admin edits labels and references and adds reasons;
running this again (a fresh database) never overwrites an edit.
"""

from django.db import migrations

# (code, label, legal reference, preserve content, confidential by default)
REASONS = [
    ("krankande", "Kränkande uppgifter, förtal, personliga angrepp",
     "5 kap. brottsbalken (1962:700)", True, False),
    ("hets", "Uppvigling, hets mot folkgrupp", "16 kap. 5 och 8 §§ brottsbalken (1962:700)",
     True, False),
    ("pornografi", "Pornografi", "", True, False),
    ("vald", "Våldsskildringar", "16 kap. 10 b § brottsbalken (1962:700)", True, False),
    ("upphovsratt", "Upphovsrättsintrång eller intrång i andra rättigheter",
     "5 kap. upphovsrättslagen (1960:729)", True, False),
    ("sekretess", "Sekretessbelagda uppgifter", "Offentlighets- och sekretesslagen (2009:400)",
     True, True),
    ("reklam", "Reklam eller kommersiella budskap (behöver inte bevaras)", "", False, False),
    ("politik", "Politisk information", "", True, False),
    ("diskriminering", "Uppgifter av diskriminerande karaktär",
     "Diskrimineringslagen (2008:567)", True, False),
]


def seed(apps, schema_editor):
    RemovalReason = apps.get_model("moderation", "RemovalReason")
    for position, (code, label, ref, preserve, confidential) in enumerate(REASONS, start=1):
        RemovalReason.objects.get_or_create(
            code=code,
            defaults={"label": label, "legal_reference": ref, "preserve_content": preserve,
                      "confidential_by_default": confidential, "position": position * 10},
        )


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
