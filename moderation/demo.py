"""Demo moderation data for `seed_demo`: removals of several reasons (one confidential and
waiting for its diarienummer, one advertising), and incoming items in every state, some
overdue. Runs after registry.demo and finds its accounts by address; running it again
changes nothing (each record has a demo key)."""

from __future__ import annotations

import datetime as dt
import io
from typing import TextIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from moderation import services
from moderation.models import IncomingItem, RegistrationDecision, RemovalReason, RemovedPost
from registry.models import SocialAccount

ACCOUNTS = {
    "fritid": "https://www.facebook.com/fritidsfabriken",
    "hemtjanst": "https://www.instagram.com/hemtjanstennykvarn",
    "bibliotek": "https://www.instagram.com/biblioteketnykvarn",
}
PEOPLE = {
    "fritid": "redaktor@nykvarn.se",
    "hemtjanst": "hemtjanst@nykvarn.se",
    "bibliotek": "bibliotek@nykvarn.se",
}
D = RegistrationDecision

# key, account, reason, kind, days ago, decision, sender, content, context, motivation
REMOVALS = [
    (
        "demo-1",
        "fritid",
        "krankande",
        "comment",
        12,
        D.PASSING,
        "Anonym Användare",
        "Ledarna på Fritidsfabriken är idioter allihop.",
        "Inlägget om sommarlovets aktiviteter",
        "Personangrepp mot namngivna medarbetare.",
    ),
    (
        "demo-2",
        "hemtjanst",
        "sekretess",
        "comment",
        3,
        D.CONFIDENTIAL,
        "Anhörig",
        "Min mamma Greta Andersson, 19400312-XXXX, på Solgården får fel medicin av personalen.",
        "Inlägget om nya arbetstider i hemtjänsten",
        "Uppgifter om enskild brukares hälsa (OSL 25 kap.).",
    ),
    (
        "demo-3",
        "bibliotek",
        "reklam",
        "comment",
        5,
        D.PASSING,
        "Billiga Böcker AB",
        "Köp kurslitteratur 70 % billigare på vår webbshop!",
        "Boktips för veckan",
        "Kommersiellt budskap.",
    ),
    (
        "demo-4",
        "fritid",
        "hets",
        "reply",
        20,
        D.SPECIAL_INTEREST,
        "Profil utan namn",
        "(hatisk kommentar mot en folkgrupp)",
        "Tråd om nationaldagsfirandet",
        "Hets mot folkgrupp; polisanmält.",
    ),
    (
        "demo-5",
        "bibliotek",
        "upphovsratt",
        "post",
        40,
        D.PASSING,
        "Fotograf Okänd",
        "(delad bild från en bildbyrå utan tillstånd)",
        "Besökares inlägg på sidan",
        "Upphovsrättsskyddad bild publicerad utan tillstånd.",
    ),
]

# key (text), account, kind, hours ago, outcome
INCOMING = [
    ("Har ni öppet på lördag?", "fritid", IncomingItem.Kind.QUESTION, 1, "open"),
    (
        "Hur anmäler jag mitt barn till lovaktiviteterna?",
        "fritid",
        IncomingItem.Kind.QUESTION,
        24 * 6,
        "open",
    ),
    (
        "Varför har hemtjänsten ändrat tiderna utan att fråga oss?",
        "hemtjanst",
        IncomingItem.Kind.CRITICISM,
        24 * 4,
        "open",
    ),
    (
        "Kan jag låna e-böcker från ert bibliotek?",
        "bibliotek",
        IncomingItem.Kind.QUESTION,
        30,
        "answered",
    ),
    (
        "Vem ansvarar för snöröjningen vid biblioteket?",
        "bibliotek",
        IncomingItem.Kind.QUESTION,
        50,
        "forwarded",
    ),
    (
        "Vad tycker kommunen om det nya bostadsområdet?",
        "fritid",
        IncomingItem.Kind.POLITICAL,
        70,
        "referred",
    ),
    (
        "Jag vill anmäla en trasig gunga på lekplatsen vid Fritidsfabriken.",
        "fritid",
        IncomingItem.Kind.FEEDBACK,
        90,
        "registered",
    ),
    ("Kul med nya öppettider!", "bibliotek", IncomingItem.Kind.COMMENT, 20, "no_answer"),
    (
        "Besök min sida för gratis spel!!! www.example.com",
        "fritid",
        IncomingItem.Kind.COMMENT,
        4,
        "unpublished",
    ),
]


def _screenshot() -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 120), (230, 230, 230)).save(buffer, format="PNG")
    return SimpleUploadedFile("skarmdump.png", buffer.getvalue(), content_type="image/png")


def seed(out: TextIO) -> None:
    """Create the demo moderation data; running it again changes nothing."""
    found_accounts = {
        key: SocialAccount.objects.filter(url=url).first() for key, url in ACCOUNTS.items()
    }
    found_people = {key: User.objects.filter(email=email).first() for key, email in PEOPLE.items()}
    missing = [k for k in ACCOUNTS if found_accounts[k] is None or found_people[k] is None]
    if missing:
        out.write(f"Moderation demo skipped: demo accounts or users missing ({missing}).\n")
        return
    # Nothing is missing: the same dictionaries, typed without None.
    accounts = {k: a for k, a in found_accounts.items() if a is not None}
    people = {k: u for k, u in found_people.items() if u is not None}
    now = timezone.now()
    created = 0
    for key, acc, code, kind, days, decision, sender, content, context, motivation in REMOVALS:
        if RemovedPost.objects.filter(platform_post_id=key).exists():
            continue
        removed_at = now - dt.timedelta(days=days)
        services.log_removal(
            by=people[acc],
            account=accounts[acc],
            reason=RemovalReason.objects.get(code=code),
            kind=kind,
            posted_at=removed_at - dt.timedelta(minutes=40),
            removed_at=removed_at,
            motivation=motivation,
            registration_decision=decision,
            content=content,
            context=context,
            sender_name=sender,
            platform_post_id=key,
            post_url=f"{ACCOUNTS[acc]}/posts/{key}",
            sender_informed=code != "reklam",
            evidence=[_screenshot()],
        )
        created += 1
    registered = RemovedPost.objects.get(platform_post_id="demo-4", original__isnull=True)
    if registered.current_registration is None:
        services.register_removal(
            by=people["fritid"],
            record=registered,
            diarienummer="KS 2026/118",
            registered_on=timezone.localdate(registered.removed_at),
        )
    first = RemovedPost.objects.get(platform_post_id="demo-1", original__isnull=True)
    if not RemovedPost.objects.filter(corrects=first).exists():
        services.correct_removal(
            by=people["fritid"],
            record=first,
            correction_note="Avsändaren var felskriven.",
            changes={"sender_name": "Anonym användare (profil borttagen)"},
        )
    created += _seed_incoming(accounts, people, now)
    out.write(f"Moderation demo: {created} new records and items.\n")


def _seed_incoming(
    accounts: dict[str, SocialAccount], people: dict[str, User], now: dt.datetime
) -> int:
    created = 0
    for text, acc, kind, hours, outcome in INCOMING:
        if IncomingItem.objects.filter(account=accounts[acc], text=text).exists():
            continue
        by = people[acc]
        item = services.log_incoming(
            by=by,
            account=accounts[acc],
            received_at=now - dt.timedelta(hours=hours),
            kind=kind,
            text=text,
            sender_name="Medborgare i Nykvarn",
            notify_communications=kind == IncomingItem.Kind.CRITICISM,
        )
        created += 1
        office = accounts[acc].department.office.name
        sign = {"signed_name": by.full_name, "signed_title": by.title, "signed_office": office}
        if outcome == "answered":
            services.close_incoming(
                by=by,
                item=item,
                outcome=outcome,
                registration_decision=D.PASSING,
                reply=f"Ja, via appen Biblio.\n/{by.full_name}, {by.title}, {office}",
                **sign,
            )
        elif outcome == "forwarded":
            services.close_incoming(
                by=by,
                item=item,
                outcome=outcome,
                registration_decision=D.OUTSIDE,
                forwarded_to="Gatu- och parkenheten",
            )
        elif outcome == "referred":
            services.close_incoming(
                by=by, item=item, outcome=outcome, registration_decision=D.PASSING
            )
        elif outcome == "registered":
            services.close_incoming(
                by=by,
                item=item,
                outcome=outcome,
                registration_decision=D.LEADS_TO_ACTION,
                diarienummer="SBN 2026/77",
            )
        elif outcome == "no_answer":
            services.close_incoming(
                by=by, item=item, outcome=outcome, registration_decision=D.PASSING
            )
        elif outcome == "unpublished":
            services.log_removal(
                by=by,
                account=accounts[acc],
                reason=RemovalReason.objects.get(code="reklam"),
                kind="comment",
                posted_at=item.received_at,
                removed_at=item.received_at + dt.timedelta(minutes=20),
                motivation="Spam med länk till spelsida.",
                registration_decision=D.PASSING,
                content=text,
                incoming=item,
            )
    return created
