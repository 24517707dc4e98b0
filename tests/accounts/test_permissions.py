"""The role × department matrix of accounts.permissions, for the foundation's rules."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts import permissions as perms
from accounts.models import Department
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def test_department_scope_includes_departments_below(manager_a, office_a, department_a):
    below = DepartmentFactory(name="Ungdomsgården", parent=department_a)
    assert perms.department_scope(manager_a) == {office_a.pk, department_a.pk, below.pk}


def test_organisation_wide_roles_have_no_scope_limit(
    communications_officer, administrator, archivist
):
    for user in (communications_officer, administrator, archivist):
        assert perms.department_scope(user) is None


def test_outsider_has_empty_scope_and_no_rights(outsider, account_a):
    assert perms.department_scope(outsider) == frozenset()
    assert not perms.can(outsider, "registry.view_account", account_a)
    assert not perms.can(outsider, "accounts.view_audit")


def test_deactivated_user_loses_every_right(communications_officer):
    communications_officer.is_active = False
    communications_officer.save()
    communications_officer.refresh_from_db()
    assert not perms.is_organisation_wide(communications_officer)
    assert not perms.can_use_admin(communications_officer)
    assert not communications_officer.is_staff


@pytest.mark.parametrize(
    ("persona", "visible", "approve", "activate"),
    [
        # REG-3: the manager's step is a department manager's, not the office's.
        ("communications_officer", True, False, True),
        ("administrator", True, False, True),
        ("manager_a", True, True, False),
        ("manager_b", False, False, False),
        ("operator", True, False, False),
        ("operator_b", False, False, False),
        ("archivist", True, False, False),
        ("outsider", False, False, False),
    ],
)
def test_account_rules_by_role_and_department(
    request, account_a, persona, visible, approve, activate
):
    user = request.getfixturevalue(persona)
    assert perms.can(user, "registry.view_account", account_a) is visible
    assert perms.can(user, "registry.manager_approve", account_a) is approve
    assert perms.can(user, "registry.activate", account_a) is activate


def test_require_answers_404_outside_scope_and_403_inside(manager_b, operator, account_a):
    with pytest.raises(Http404):
        perms.require(
            manager_b, "registry.manager_approve", account_a, view_action="registry.view_account"
        )
    with pytest.raises(PermissionDenied):
        perms.require(
            operator, "registry.manager_approve", account_a, view_action="registry.view_account"
        )


def test_unknown_action_is_a_programming_error(communications_officer):
    with pytest.raises(KeyError):
        perms.can(communications_officer, "registry.no_such_thing")


def test_admin_access_is_decided_by_role(
    communications_officer, administrator, manager_a, operator, archivist
):
    assert communications_officer.is_staff and administrator.is_staff
    assert not any(u.is_staff for u in (manager_a, operator, archivist))


def test_office_is_nearest_kontor_or_avdelning(office_a, department_a):
    assert department_a.office == office_a
    top = DepartmentFactory(name="Förvaltningen", kind=Department.Kind.FORVALTNING)
    assert top.office == top


def test_roles_exist_from_the_data_migration():
    from accounts.models import Role

    assert set(Role.objects.values_list("code", flat=True)) == set(Role.Code.values)
