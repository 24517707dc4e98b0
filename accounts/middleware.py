"""Request context for the audit trail."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.models import current_ip


class AuditContextMiddleware:
    """Make the client's address available to `AuditEvent.record` for this request.

    REMOTE_ADDR is the address that reached us; behind a proxy, set PROXY_COUNT so that
    django-axes and this middleware read the same client address from X-Forwarded-For.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from axes.helpers import get_client_ip_address

        token = current_ip.set(get_client_ip_address(request) or None)
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


class LanguageMiddleware:
    """Swedish unless the user chose English in the footer's language form.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a municipal
    computer set up in English would show English pages; the organisation's language is
    Swedish, and English is an explicit choice (kept in the language cookie).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
