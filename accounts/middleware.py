"""Request context for the audit trail."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.http import client_ip
from accounts.models import current_ip


class AuditContextMiddleware:
    """Make the client's address available to `AuditEvent.record` for this request.

    The address is accounts.http.client_ip's, the same one django-axes throttles by:
    behind the TLS proxy, the one the proxy saw (PROXY_COUNT), never one the client wrote.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_ip.set(client_ip(request))
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
