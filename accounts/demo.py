"""Demo organisation for `seed_demo`: Nykvarn's departments and one user per role."""

from __future__ import annotations

from io import TextIOBase

from accounts.models import Department, Role, User

DEMO_PASSWORD = "demo-nykvarn-2026"  # noqa: S105 - printed by seed_demo; demo data only

K = Department.Kind
# (name, kind, parent name)
DEPARTMENTS = [
    ("Kommunstyrelsens förvaltning", K.FORVALTNING, None),
    ("Kommunikationsavdelningen", K.AVDELNING, "Kommunstyrelsens förvaltning"),
    ("Kundcenter", K.AVDELNING, "Kommunstyrelsens förvaltning"),
    ("Kultur och fritid", K.KONTOR, "Kommunstyrelsens förvaltning"),
    ("Fritidsfabriken", K.VERKSAMHET, "Kultur och fritid"),
    ("Biblioteket", K.VERKSAMHET, "Kultur och fritid"),
    ("Vård och omsorg", K.KONTOR, "Kommunstyrelsens förvaltning"),
    ("Hemtjänsten", K.VERKSAMHET, "Vård och omsorg"),
    ("Barn och utbildning", K.KONTOR, "Kommunstyrelsens förvaltning"),
    ("Gröndalsskolan", K.VERKSAMHET, "Barn och utbildning"),
    ("Samhällsbyggnad", K.KONTOR, "Kommunstyrelsens förvaltning"),
]

R = Role.Code
# (e-mail, name, title, roles, departments)
USERS = [
    (
        "kommunikator@nykvarn.se",
        "Karin Kommunikatör",
        "Kommunikatör",
        [R.COMMUNICATIONS],
        ["Kommunikationsavdelningen"],
    ),
    (
        "chef.kultur@nykvarn.se",
        "Christer Chef",
        "Kultur- och fritidschef",
        [R.MANAGER],
        ["Kultur och fritid"],
    ),
    (
        "chef.vard@nykvarn.se",
        "Vera Verksamhetschef",
        "Verksamhetschef",
        [R.MANAGER],
        ["Vård och omsorg"],
    ),
    ("redaktor@nykvarn.se", "Rasmus Redaktör", "Fritidsledare", [R.OPERATOR], ["Fritidsfabriken"]),
    (
        "redaktor2@nykvarn.se",
        "Sara Ställföreträdare",
        "Fritidsledare",
        [R.OPERATOR],
        ["Fritidsfabriken"],
    ),
    ("bibliotek@nykvarn.se", "Bo Bibliotekarie", "Bibliotekarie", [R.OPERATOR], ["Biblioteket"]),
    ("bibliotek2@nykvarn.se", "Lena Lånedisk", "Bibliotekarie", [R.OPERATOR], ["Biblioteket"]),
    (
        "chef.kundcenter@nykvarn.se",
        "Kerstin Kundcenterchef",
        "Kundcenterchef",
        [R.MANAGER],
        ["Kundcenter"],
    ),
    ("kundcenter@nykvarn.se", "Kim Kundcenter", "Kommunvägledare", [R.OPERATOR], ["Kundcenter"]),
    ("hemtjanst@nykvarn.se", "Hanna Hemtjänst", "Enhetschef", [R.OPERATOR], ["Hemtjänsten"]),
    (
        "arkivarie@nykvarn.se",
        "Arvid Arkivarie",
        "Kommunarkivarie",
        [R.ARCHIVIST],
        ["Kommunstyrelsens förvaltning"],
    ),
    (
        "admin@nykvarn.se",
        "Ada Administratör",
        "Systemförvaltare",
        [R.ADMINISTRATOR],
        ["Kommunstyrelsens förvaltning"],
    ),
]


def seed(out: TextIOBase) -> None:
    """Create the demo organisation; running it again changes nothing."""
    by_name: dict[str, Department] = {}
    for name, kind, parent in DEPARTMENTS:
        by_name[name], _ = Department.objects.get_or_create(
            name=name, parent=by_name.get(parent or ""), defaults={"kind": kind}
        )
    roles = {r.code: r for r in Role.objects.all()}
    for email, full_name, title, role_codes, departments in USERS:
        user, created = User.objects.get_or_create(
            email=email, defaults={"full_name": full_name, "title": title}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_superuser = R.ADMINISTRATOR in role_codes
            user.save()
            user.roles.set([roles[c] for c in role_codes])
            user.departments.set([by_name[d] for d in departments])
    out.write(f"Demo organisation: {len(by_name)} departments, {len(USERS)} users.\n")


def print_logins(out: TextIOBase) -> None:
    out.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):\n")
    for email, full_name, _title, role_codes, departments in USERS:
        roles = ", ".join(str(Role.Code(c).label) for c in role_codes)
        out.write(f"  {email:<28} {full_name:<24} {roles} – {', '.join(departments)}\n")
