"""Every permission decision in one place: "may this user do this to this object?".

Views ask `require(user, action, obj)` (404 when the object is outside the user's scope,
403 when it is inside but the action is not theirs) or `can(user, action, obj)`; list
pages narrow their querysets with `department_scope(user)`. The admin asks the same rules
through `RoleBackend`, Django's own `has_perm` hook, so that department scoping is never
decided twice.

Roles (accounts.Role.Code):
- kommunikatör and administratör: the whole organisation.
- verksamhetschef/kontorschef: the departments they belong to and everything below them.
- redaktör: the accounts they run (owner, deputy, substitute, assigned editor) and the
  accounts of their own departments.
- arkivarie: reads the whole organisation's register and archive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404

from accounts.models import Role

if TYPE_CHECKING:
    from accounts.models import User

C = Role.Code

Rule = Callable[["User", Any], bool]
_RULES: dict[str, Rule] = {}


def rule(action: str) -> Callable[[Rule], Rule]:
    """Register the function that decides `action`."""

    def register(fn: Rule) -> Rule:
        if action in _RULES:
            raise ValueError(f"Rule {action!r} is defined twice")
        _RULES[action] = fn
        return fn

    return register


# --- roles and scope --------------------------------------------------------------------


def has_role(user: Any, *codes: str) -> bool:
    """Return whether an active, logged-in user holds any of the roles."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.role_codes.intersection(codes))


def is_organisation_wide(user: Any) -> bool:
    """Communications officers and administrators act for the whole organisation."""
    return bool(getattr(user, "is_superuser", False) and user.is_active) or has_role(
        user, C.COMMUNICATIONS, C.ADMINISTRATOR
    )


def can_use_admin(user: Any) -> bool:
    """The Django admin is the communications office's and administrators' tool."""
    return is_organisation_wide(user)


def department_scope(user: Any) -> frozenset[int] | None:
    """Return the department ids whose internal data the user may see; None means all."""
    if is_organisation_wide(user) or has_role(user, C.ARCHIVIST):
        return None
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    return user.department_ids


def in_department_scope(user: Any, department_id: int | None) -> bool:
    scope = department_scope(user)
    return scope is None or department_id in scope


def manages(user: Any, department_id: int | None) -> bool:
    """Whether the user is a department manager of that department (or one above it)."""
    return has_role(user, C.MANAGER) and department_id in user.department_ids


def department_of(obj: Any) -> int | None:
    """Return the department an object belongs to, for scoping."""
    if hasattr(obj, "department_id"):
        return obj.department_id
    account = getattr(obj, "account", None)
    if account is not None:
        return account.department_id
    raise TypeError(f"{type(obj).__name__} has no department to scope by")


# --- the API views use ------------------------------------------------------------------


def can(user: Any, action: str, obj: Any = None) -> bool:
    """Return whether the user may do `action` (to `obj`, where the action has one)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    try:
        decide = _RULES[action]
    except KeyError:
        raise KeyError(f"No permission rule for {action!r}") from None
    return bool(decide(user, obj))


def require(user: Any, action: str, obj: Any = None, *, view_action: str | None = None) -> None:
    """Raise Http404 if `obj` is outside the user's scope, PermissionDenied if not allowed.

    Objects the user may not even see answer 404, so that a manager of one department
    learns nothing about another department's requests.
    """
    if obj is not None and view_action is not None and not can(user, view_action, obj):
        raise Http404
    if not can(user, action, obj):
        raise PermissionDenied


# --- accounts ---------------------------------------------------------------------------


@rule("accounts.view_audit")
def _view_audit(user: User, obj: Any) -> bool:
    return is_organisation_wide(user)


# --- registry ---------------------------------------------------------------------------


def is_account_person(user: User, account: Any) -> bool:
    """Whether the user runs the account: owner, deputy, substitute or assigned editor."""
    return user.pk in account.person_ids()


@rule("registry.view_account")
def _view_account(user: User, account: Any) -> bool:
    if is_organisation_wide(user) or has_role(user, C.ARCHIVIST):
        return True
    if has_role(user, C.MANAGER, C.OPERATOR) and account.department_id in user.department_ids:
        return True
    return is_account_person(user, account)


@rule("registry.create_account")
def _create_account(user: User, department: Any) -> bool:
    """Draft a request: for one's own departments (department may be None: any of them)."""
    if is_organisation_wide(user):
        return True
    if not has_role(user, C.MANAGER, C.OPERATOR):
        return False
    return department is None or department.pk in user.department_ids


@rule("registry.edit_account")
def _edit_account(user: User, account: Any) -> bool:
    """Edit the request and its Bilaga 2 checklist, while it is a draft."""
    return _create_account(user, account.department) or is_account_person(user, account)


@rule("registry.submit")
def _submit(user: User, account: Any) -> bool:
    return _edit_account(user, account)


@rule("registry.manager_approve")
def _manager_approve(user: User, account: Any) -> bool:
    """REG-3: the department manager approves the account and the platform's terms.

    A manager of the account's department, never the communications office in its stead:
    "Organisationens ansvar och resurser", the manager has the account anchored with the
    office, which takes the second step (`registry.activate`).
    """
    return manages(user, account.department_id)


@rule("registry.activate")
def _activate(user: User, account: Any) -> bool:
    """REG-3: the communications office anchors it and agrees the channel strategy."""
    return is_organisation_wide(user)


@rule("registry.reject")
def _reject(user: User, account: Any) -> bool:
    """REG-3: whoever decides at the request's current step may send it back."""
    if account.state == "manager_approved":
        return _activate(user, account)
    return _manager_approve(user, account)


@rule("registry.start_closing")
def _start_closing(user: User, account: Any) -> bool:
    """REG-9, "Att öppna och avsluta ett konto": closing "ska förankras hos verksamhetens
    chef"; the communications office is informed and takes the second step (`registry.close`).
    """
    return manages(user, account.department_id)


@rule("registry.close")
def _close(user: User, account: Any) -> bool:
    """REG-9: the communications office takes the account off the public list."""
    return is_organisation_wide(user)


@rule("registry.manage_people")
def _manage_people(user: User, account: Any) -> bool:
    """REG-4: assignments (uppdrag) come from the office head."""
    return manages(user, account.department_id) or is_organisation_wide(user)


@rule("registry.record_activity")
def _record_activity(user: User, account: Any) -> bool:
    return (
        is_account_person(user, account)
        or manages(user, account.department_id)
        or is_organisation_wide(user)
    )


@rule("registry.record_notice")
def _record_notice(user: User, account: Any) -> bool:
    """REG-9: the people running a closing account record what they told the followers."""
    return _record_activity(user, account)


@rule("registry.view_register")
def _view_register(user: User, obj: Any) -> bool:
    """The internal register pages: anyone with a role (each sees only their scope)."""
    return is_organisation_wide(user) or bool(user.role_codes)


@rule("registry.export_register")
def _export_register(user: User, obj: Any) -> bool:
    """REG-1: the register is the communications office's record of processing."""
    return is_organisation_wide(user) or has_role(user, C.ARCHIVIST)


# --- moderation -------------------------------------------------------------------------
#
# Who sees what in the removal log and the incoming items. Records and items belong to an
# account; whoever may see the account (registry.view_account) sees that they exist. The
# content of a confidential (sekretess) record is shown only to the readers named in
# settings.MODERATION_CONFIDENTIAL_READERS (MOD-3, "Gallra otillåtna inlägg/kommentarer":
# "Its content is shown only to those who need it"); everyone else, in every page, search,
# CSV, PDF and the admin, learns only that a restricted record exists.

CONFIDENTIAL_READER_CHOICES = ("communications", "owner", "deputy", "manager", "archivist")


def _confidential_readers() -> frozenset[str]:
    from django.conf import settings

    return frozenset(getattr(settings, "MODERATION_CONFIDENTIAL_READERS", ()))


def confidential_account_ids(user: Any) -> frozenset[int] | None:
    """Return the ids of the accounts whose confidential records the user may read; None
    means every account. Computed once per user object (a few queries), so list pages and
    exports decide row by row without further queries.
    """
    if hasattr(user, "_moderation_confidential_ids"):
        return user._moderation_confidential_ids  # frozenset[int] | None, set below
    from django.db.models import Q
    from django.utils import timezone

    from registry.models import SocialAccount

    readers = _confidential_readers()
    result: frozenset[int] | None
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        result = frozenset()
    elif ("communications" in readers and has_role(user, C.COMMUNICATIONS)) or (
        "archivist" in readers and has_role(user, C.ARCHIVIST)
    ):
        result = None
    else:
        q = Q(pk__in=[])
        if "owner" in readers:
            q |= Q(owner=user)
        if "deputy" in readers:
            # A substitute in force stands in for the owner or a deputy (REG-4).
            today = timezone.localdate()
            q |= Q(deputies=user) | Q(
                substitutes__user=user,
                substitutes__starts_on__lte=today,
                substitutes__ends_on__gte=today,
            )
        if "manager" in readers and has_role(user, C.MANAGER):
            q |= Q(department_id__in=user.department_ids)
        result = frozenset(SocialAccount.objects.filter(q).values_list("pk", flat=True))
    if getattr(user, "pk", None) is not None:
        user._moderation_confidential_ids = result
    return result


def is_restricted(record: Any) -> bool:
    """Whether a record's or item's content is confidential (MOD-3). A removal record is
    confidential when any record of its line of corrections is
    (`RemovedPost.line_confidential`): a correction marked sekretess restricts the
    original too. An incoming item has no corrections: its own flag decides."""
    line = getattr(record, "line_confidential", None)
    if line is not None:
        return bool(line)
    return bool(getattr(record, "confidential", False))


def may_read_content(user: Any, record: Any) -> bool:
    """Whether the user may read a record's or item's content (it is not confidential, or
    the user is one of its confidential readers)."""
    if not is_restricted(record):
        return True
    ids = confidential_account_ids(user)
    return ids is None or record.account_id in ids


@rule("moderation.view")
def _moderation_view(user: User, account: Any) -> bool:
    """See an account's removal log and incoming items (not necessarily their content)."""
    if account is None:
        return is_organisation_wide(user) or bool(user.role_codes)
    return _view_account(user, account)


@rule("moderation.log_removal")
def _log_removal(user: User, account: Any) -> bool:
    """MOD-1: the people running the account remove and log; managers and the office too."""
    if account is None:
        return is_organisation_wide(user) or has_role(user, C.MANAGER, C.OPERATOR)
    return (
        is_account_person(user, account)
        or manages(user, account.department_id)
        or is_organisation_wide(user)
        or (has_role(user, C.OPERATOR) and account.department_id in user.department_ids)
    )


@rule("moderation.handle_incoming")
def _handle_incoming(user: User, account: Any) -> bool:
    """MOD-6, Bilaga 4: the same people answer, forward, refer and unpublish."""
    return _log_removal(user, account)


@rule("moderation.handle_item")
def _handle_item(user: User, item: Any) -> bool:
    """Answer, forward, refer, register or give a notice (besked) on one incoming item
    (MOD-6, Bilaga 4). A confidential item only by a reader of its content (MOD-3,
    "Gallra otillåtna inlägg/kommentarer": shown only to those who need it): an answer or
    a closing can't be judged without reading what it answers."""
    return _handle_incoming(user, item.account) and may_read_content(user, item)


@rule("moderation.register")
def _register(user: User, record: Any) -> bool:
    """MOD-3: "Det är verksamheten som ansvarar för det sociala mediet som ansvarar för
    registreringen" – the department's people, its manager and the office."""
    return _log_removal(user, record.account)


@rule("moderation.view_confidential")
def _view_confidential(user: User, record: Any) -> bool:
    return may_read_content(user, record)


@rule("moderation.view_reports")
def _view_reports(user: User, obj: Any) -> bool:
    """Reports span departments: the office, managers (their scope) and archivists."""
    return is_organisation_wide(user) or has_role(user, C.MANAGER, C.ARCHIVIST)


@rule("moderation.view_handoffs")
def _view_handoffs(user: User, obj: Any) -> bool:
    return is_organisation_wide(user) or has_role(user, C.MANAGER, C.OPERATOR, C.ARCHIVIST)


# --- archive ----------------------------------------------------------------------------


def archive_scope(user: Any) -> frozenset[int] | None:
    """Return the departments whose archive the user may browse; None means all (ARC-5).

    Archivists and the communications office see the whole organisation; department
    managers their own departments; everyone else none (they see an account's snapshots
    on its page through `archive.view_snapshot`).
    """
    if is_organisation_wide(user) or has_role(user, C.ARCHIVIST):
        return None
    if has_role(user, C.MANAGER):
        return user.department_ids
    return frozenset()


@rule("archive.browse")
def _archive_browse(user: User, obj: Any) -> bool:
    """ARC-5: the archive's pages are for archivists and department managers."""
    return is_organisation_wide(user) or has_role(user, C.ARCHIVIST, C.MANAGER)


@rule("archive.view_snapshot")
def _archive_view_snapshot(user: User, snapshot: Any) -> bool:
    scope = archive_scope(user)
    if scope is None or snapshot.account.department_id in scope:
        return True
    return has_role(user, C.OPERATOR) and (
        snapshot.account.department_id in user.department_ids
        or is_account_person(user, snapshot.account)
    )


@rule("archive.download")
def _archive_download(user: User, snapshot: Any) -> bool:
    """ARC-5: archivists download the PDF/A exports; so may whoever may see the snapshot."""
    return _archive_view_snapshot(user, snapshot)


@rule("archive.request_snapshot")
def _archive_request(user: User, account: Any) -> bool:
    """ARC-1 "inför större förändringar": the people running the account, its managers and
    the communications office ask for a snapshot (also by upload, for login walls)."""
    return (
        is_organisation_wide(user)
        or manages(user, account.department_id)
        or (has_role(user, C.OPERATOR) and account.department_id in user.department_ids)
        or is_account_person(user, account)
    )


@rule("archive.retry")
def _archive_retry(user: User, snapshot: Any) -> bool:
    return (
        is_organisation_wide(user)
        or has_role(user, C.ARCHIVIST)
        or manages(user, snapshot.account.department_id)
    )


@rule("archive.build_package")
def _archive_build_package(user: User, obj: Any) -> bool:
    """Issue 10: delivering to the e-archive (FGS 2.0 packages) is the archivists' and the
    communications office's. Not the managers': a package carries the register extract,
    which is theirs alone to export (`registry.export_register`, REG-1)."""
    return is_organisation_wide(user) or has_role(user, C.ARCHIVIST)


@rule("archive.view_package")
def _archive_view_package(user: User, package: Any) -> bool:
    """See, follow and download a delivery package: whoever may build one."""
    return _archive_build_package(user, package)


@rule("archive.download_office")
def _archive_download_office(user: User, office: Any) -> bool:
    """ARC-2: an office's files for a period, as one ZIP."""
    scope = archive_scope(user)
    return scope is None or (has_role(user, C.MANAGER) and office.pk in scope)


@rule("archive.verify")
def _archive_verify(user: User, obj: Any) -> bool:
    return is_organisation_wide(user) or has_role(user, C.ARCHIVIST)


# --- archive: gallring, holds, disposal, search (ARC-4, "Gallra") ------------------------


@rule("archive.view_gallring")
def _archive_view_gallring(user: User, account: Any) -> bool:
    """An account's thinnings and holds: whoever may see its snapshots."""
    scope = archive_scope(user)
    if scope is None or account.department_id in scope:
        return True
    return has_role(user, C.OPERATOR) and (
        account.department_id in user.department_ids or is_account_person(user, account)
    )


@rule("archive.record_thinning")
def _archive_record_thinning(user: User, account: Any) -> bool:
    """ARC-4: the people who thin on the platform record it: those running the account,
    its managers and the communications office (as for asking for a snapshot)."""
    return _archive_request(user, account)


@rule("archive.place_hold")
def _archive_place_hold(user: User, account: Any) -> bool:
    """A hold (gallringsstopp) is the archivist's decision: a case, a request for public
    records or a dispute keeps what it covers."""
    return has_role(user, C.ARCHIVIST)


@rule("archive.release_hold")
def _archive_release_hold(user: User, hold: Any) -> bool:
    return has_role(user, C.ARCHIVIST)


@rule("archive.dispose")
def _archive_dispose(user: User, snapshot: Any) -> bool:
    """Disposal of archived files under a decision is the archivist's act (ARC-4)."""
    return has_role(user, C.ARCHIVIST)


@rule("archive.search")
def _archive_search(user: User, obj: Any) -> bool:
    """Search over archived text: whoever browses the archive, within the same scope."""
    return _archive_browse(user, obj)


# --- the admin --------------------------------------------------------------------------


class RoleBackend(ModelBackend):
    """Authenticate by e-mail and password; answer the admin's model permissions by role.

    Organisation-wide roles get what the admin asks for; the admin classes of each app
    narrow that further (read-only logs, no direct state edits). No other role reaches
    the admin (`User.is_staff` is `can_use_admin`).
    """

    def has_perm(self, user_obj: Any, perm: str, obj: Model | None = None) -> bool:
        if not user_obj.is_active:
            return False
        if is_organisation_wide(user_obj):
            return True
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return is_organisation_wide(user_obj) or super().has_module_perms(user_obj, app_label)
