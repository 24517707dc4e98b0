"""Every audit action the code records has a readable label."""

from __future__ import annotations

import ast
from pathlib import Path

from accounts.models import ACTION_LABELS, AuditEvent
from moderation.models import IncomingItem

BASE_DIR = Path(__file__).resolve().parents[2]


def recorded_actions() -> set[str]:
    found: set[str] = set()
    for app in ("accounts", "registry", "moderation", "archive"):
        for path in (BASE_DIR / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "record":
                    for kw in node.keywords:
                        if kw.arg == "action" and isinstance(kw.value, ast.Constant):
                            found.add(kw.value.value)
    # moderation.services.close_incoming records one action per Bilaga 4 outcome.
    found |= {f"moderation.incoming_{o}" for o in IncomingItem.Outcome.values if o != "open"}
    return found


def test_every_recorded_action_has_a_label():
    actions = recorded_actions()
    assert len(actions) > 30
    assert actions - ACTION_LABELS.keys() == set()


def test_label_is_shown_and_unknown_actions_show_their_code():
    assert AuditEvent(action="registry.submitted").action_label == (
        "Skickad till chef för godkännande"
    )
    assert AuditEvent(action="custom.thing").action_label == "custom.thing"
