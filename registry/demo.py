"""Demo register for `seed_demo`: accounts in every state, with people and activity.

Each account is made through registry.services, as a person would, so the audit trail
and the checks are real. An account whose address is already registered is left alone,
so running the seed again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TextIO

from django.utils import timezone

from accounts.models import AuditEvent, Department, User
from registry import services
from registry.models import Platform, SocialAccount, TransitionRefused

CHECKLIST = {
    "purpose": "Öka dialogen med invånarna och visa verksamhetens aktiviteter.",
    "goals": "Fler kontakter med Nykvarnsborna; svar inom en arbetsdag.",
    "message": "Aktiviteter och nyheter; samma budskap som på nykvarn.se.",
    "target_group": "Invånare i Nykvarn, särskilt verksamhetens besökare.",
    "channel_motivation": "Målgruppen finns i kanalen.",
    "it_needs": "Inga insatser från IT utöver lösenordshanteraren.",
    "resources": "Två timmar i veckan för bevakning och publicering.",
    "monitoring": "Operativt ansvarig och ställföreträdande; ersättare utses vid semester.",
    "sender": "Kommunens logotyp i profilbilden och verksamhetens namn i kontonamnet.",
    "risks": "Inga personuppgifter i bilder utan samtycke; sekretess röjs inte.",
    "records_routines": "Uttag två gånger om året som PDF/A; diarieföring enligt riktlinjen.",
    "crisis_use": "Vid kris hänvisas till kommunens centrala Facebook och nykvarn.se.",
    "marketing": "Länk från nykvarn.se och i verksamhetens lokaler.",
    "is_organisation_page": True,
    "neutrality_confirmed": True,
    "info_prohibited_content": True,
    "info_violation_handling": True,
    "info_authority_identity": True,
    "info_purpose": True,
    "info_public_record": True,
}

S = SocialAccount.State
# platform slug, name, url, department, owner, deputies, credential holders, target state,
# weekly posts for the last weeks (newest first), weeks since activation
ACCOUNTS: list[dict[str, Any]] = [
    dict(
        platform="facebook",
        name="Nykvarns kommun",
        url="https://www.facebook.com/nykvarnskommun",
        department="Kundcenter",
        owner="kundcenter@nykvarn.se",
        deputies=["kommunikator@nykvarn.se"],
        holders=2,
        state=S.ACTIVE,
        central=True,
        posts=[5, 6, 4, 7, 5, 6, 5, 4, 6, 5, 7, 6],
        weeks=60,
        target=4,
    ),
    dict(
        platform="facebook",
        name="Fritidsfabriken",
        url="https://www.facebook.com/fritidsfabriken",
        department="Fritidsfabriken",
        owner="redaktor@nykvarn.se",
        deputies=["redaktor2@nykvarn.se"],
        holders=2,
        state=S.ACTIVE,
        posts=[3, 2, 4, 2, 3, 2, 2, 3, 2, 4, 3, 2],
        weeks=40,
        target=2,
    ),
    dict(
        platform="instagram",
        name="Biblioteket i Nykvarn",
        url="https://www.instagram.com/biblioteketnykvarn",
        department="Biblioteket",
        owner="bibliotek@nykvarn.se",
        deputies=["bibliotek2@nykvarn.se"],
        holders=2,
        state=S.ACTIVE,
        posts=[1, 0, 1, 1, 2, 3, 3, 2],
        weeks=30,
        target=3,
    ),
    dict(
        platform="youtube",
        name="Biblioteket berättar",
        url="https://www.youtube.com/@biblioteketnykvarn",
        department="Biblioteket",
        owner="bibliotek2@nykvarn.se",
        deputies=["bibliotek@nykvarn.se"],
        holders=1,
        state=S.ACTIVE,
        posts=[0] * 10 + [1, 2],
        weeks=52,
        target=1,
    ),
    dict(
        platform="instagram",
        name="Hemtjänsten Nykvarn",
        url="https://www.instagram.com/hemtjanstennykvarn",
        department="Hemtjänsten",
        owner="hemtjanst@nykvarn.se",
        deputies=["chef.vard@nykvarn.se"],
        holders=2,
        state=S.SUBMITTED,
    ),
    dict(
        platform="tiktok",
        name="Fritidsfabriken",
        url="https://www.tiktok.com/@fritidsfabriken",
        department="Fritidsfabriken",
        owner="redaktor2@nykvarn.se",
        deputies=["redaktor@nykvarn.se"],
        holders=2,
        state=S.MANAGER_APPROVED,
    ),
    dict(
        platform="linkedin",
        name="Biblioteket i Nykvarn",
        url="https://www.linkedin.com/company/biblioteket-nykvarn",
        department="Biblioteket",
        owner="bibliotek@nykvarn.se",
        deputies=["bibliotek2@nykvarn.se"],
        holders=0,
        state=S.DRAFT,
        rejected="Beskriv hur kontot skiljer sig från kommunens LinkedIn-sida.",
    ),
    dict(
        platform="bluesky",
        name="Kundcenter Nykvarn",
        url="https://bsky.app/profile/kundcenter-nykvarn.bsky.social",
        department="Kundcenter",
        owner="kundcenter@nykvarn.se",
        deputies=[],
        holders=0,
        state=S.DRAFT,
        partial=True,
    ),
    dict(
        platform="x",
        name="Fritidsfabriken",
        url="https://x.com/fritidsfabriken",
        department="Fritidsfabriken",
        owner="redaktor@nykvarn.se",
        deputies=["redaktor2@nykvarn.se"],
        holders=2,
        state=S.CLOSING,
        posts=[0, 0, 1, 0, 0, 0, 1, 0],
        weeks=100,
        target=2,
    ),
    dict(
        platform="instagram",
        name="Sommarlovsaktiviteter",
        url="https://www.instagram.com/sommarlov.nykvarn",
        department="Fritidsfabriken",
        owner="redaktor2@nykvarn.se",
        deputies=["redaktor@nykvarn.se"],
        holders=2,
        state=S.CLOSED,
        weeks=120,
        target=1,
    ),
]

ORDER = [S.DRAFT, S.SUBMITTED, S.MANAGER_APPROVED, S.ACTIVE, S.CLOSING, S.CLOSED]


def _user(email: str) -> User:
    return User.objects.get(email=email)


def _manager_for(department: Department) -> User:
    managers = list(services.managers_of(department))
    return managers[0] if managers else _user("kommunikator@nykvarn.se")


def _make(spec: dict[str, Any], today: dt.date) -> SocialAccount | None:
    if SocialAccount.objects.filter(normalized_url=services.normalised(spec["url"])).exists():
        return None
    comms = _user("kommunikator@nykvarn.se")
    owner = _user(spec["owner"])
    department = Department.objects.get(name=spec["department"])
    checklist = {
        k: v
        for k, v in CHECKLIST.items()
        if not spec.get("partial") or k in ("purpose", "target_group")
    }
    fields = {
        "platform": Platform.objects.get(slug=spec["platform"]),
        "name": spec["name"],
        "url": spec["url"],
        "department": department,
        "owner": owner,
        "posts_per_week": spec.get("target", 2),
        **checklist,
    }
    if not spec.get("partial"):
        fields.update(terms_reviewed_by=owner, terms_reviewed_on=today - dt.timedelta(days=30))
    creator = owner if "redaktor" in owner.role_codes else comms
    account = services.create_request(
        by=creator, fields=fields, deputies=[_user(e) for e in spec["deputies"]]
    )
    target = ORDER.index(spec["state"])
    if target == 0:
        if spec.get("rejected"):
            services.submit(account=account, by=creator)
            services.reject(account=account, by=_manager_for(department), reason=spec["rejected"])
        return account
    for holder in [owner, *[_user(e) for e in spec["deputies"]]][: spec["holders"]]:
        services.add_credential_holder(account=account, by=comms, user=holder)
    if spec["holders"]:
        services.set_credentials_location(
            account=account,
            by=comms,
            location=f"Kommunens lösenordshanterare, valv {department.office.name}",
        )
    services.submit(account=account, by=creator)
    if target >= 2:
        services.approve(
            account=account, by=_manager_for(department), comment="Avtalsvillkoren är genomgångna."
        )
    if target >= 3:
        if spec["holders"] < 2:
            # An account that has lost a holder since it was activated (a health issue).
            extra = services.add_credential_holder(account=account, by=comms, user=comms)
        services.activate(
            account=account,
            by=comms,
            channel_strategy="Kanalstrategi överenskommen med kommunikationsavdelningen.",
        )
        if spec["holders"] < 2:
            # Demo history: the second holder has since been removed outside the rules.
            extra.delete()
        # Demo history: the account has existed for a while.
        SocialAccount.objects.filter(pk=account.pk).update(
            activated_at=timezone.now() - dt.timedelta(weeks=spec.get("weeks", 10)),
            is_central=spec.get("central", False),
        )
        account.refresh_from_db()
        monday = today - dt.timedelta(days=today.weekday())
        for i, posts in enumerate(spec.get("posts", []), start=1):
            services.record_activity(
                account=account, by=owner, week_start=monday - dt.timedelta(weeks=i), posts=posts
            )
        grant_to = _user(spec["deputies"][0]) if spec["deputies"] else owner
        services.grant_assignment(
            by=_manager_for(department),
            user=grant_to,
            accounts=[account],
            granted_on=today - dt.timedelta(days=90),
            note="Publicera och besvara frågor i tjänsten.",
        )
    if target >= 4:
        services.start_closing(
            account=account,
            by=_manager_for(department),
            planned_on=today + dt.timedelta(days=21),
            reason="Kontot används inte regelbundet; målgruppen nås via kommunens centrala konto.",
        )
        services.record_follower_notice(
            account=account,
            by=owner,
            published_on=today,
            text="Vi stänger det här kontot om tre veckor eftersom vi når er bättre på "
            "kommunens centrala Facebook-sida. Tack för ert engagemang!",
        )
    if target >= 5:
        services.record_follower_notice(
            account=account,
            by=owner,
            published_on=today - dt.timedelta(days=7),
            text="Påminnelse: kontot stängs. Följ Nykvarns kommun på Facebook. Tack!",
        )
        try:
            services.close(account=account, by=comms)
        except TransitionRefused:
            # Without the archive's "inför avslut" snapshot the close is refused; the demo
            # records the closed state directly so that the register shows one.
            SocialAccount.objects.filter(pk=account.pk).update(
                state=S.CLOSED, closed_at=timezone.now()
            )
            AuditEvent.record(
                actor=comms, action="registry.closed", target=account, details={"demo": True}
            )
    return account


def seed(out: TextIO) -> None:
    """Create the demo register; running it again changes nothing."""
    today = timezone.localdate()
    made = [a for spec in ACCOUNTS if (a := _make(spec, today)) is not None]
    out.write(f"Demo register: {len(made)} new accounts ({len(ACCOUNTS)} in the demo set).\n")
