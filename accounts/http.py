"""Typing help for views that only a signed-in user reaches."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """Annotate the request of a view behind @login_required (or the admin) with this.

    The view receives a plain HttpRequest at run time; this class only tells the type
    checker that `request.user` is a `User`, never an AnonymousUser, so that it can be
    passed as the actor to services (`by=request.user`) without a cast in every view.
    """

    user: User
