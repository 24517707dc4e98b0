"""The platforms the guideline names and the ones municipalities use today (configuration)."""

from django.db import migrations

PLATFORMS = [
    # name, slug, domains, login wall, cookie-banner selectors
    ("Facebook", "facebook", "facebook.com\nfb.com\nfb.me", True,
     '[data-testid="cookie-policy-manage-dialog"]\n[aria-label="Allow all cookies"]'),
    ("Instagram", "instagram", "instagram.com\ninstagr.am", True,
     '[role="dialog"] button'),
    ("X", "x", "x.com\ntwitter.com", False, '[data-testid="BottomBar"]'),
    ("YouTube", "youtube", "youtube.com\nyoutu.be", False,
     'ytd-consent-bump-v2-lightbox\n#consent-bump'),
    ("LinkedIn", "linkedin", "linkedin.com", False, "#artdeco-global-alert-container"),
    ("TikTok", "tiktok", "tiktok.com", False, "tiktok-cookie-banner"),
    ("Mastodon", "mastodon", "", False, ""),
    ("Bluesky", "bluesky", "bsky.app", False, ""),
    ("Threads", "threads", "threads.net\nthreads.com", True, ""),
    ("Blogg", "blogg", "", False, ""),
    ("Övrigt", "ovrigt", "", False, ""),
]


def create_platforms(apps, schema_editor):
    Platform = apps.get_model("registry", "Platform")
    for position, (name, slug, domains, login_wall, selectors) in enumerate(PLATFORMS):
        Platform.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "domains": domains,
                "login_wall": login_wall,
                "cookie_banner_selectors": selectors,
                "position": position * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(create_platforms, migrations.RunPython.noop)]
