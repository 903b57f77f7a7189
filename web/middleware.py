"""The pages' language: Django's LocaleMiddleware, plus the visitor's chosen language for addresses without one."""
from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.middleware.locale import LocaleMiddleware
from django.urls import get_script_prefix, is_valid_path
from django.utils import translation
from django.utils.cache import patch_vary_headers


class LanguageCookieMiddleware(LocaleMiddleware):
    """With `i18n_patterns(prefix_default_language=False)`, Django serves every address without a language prefix
    in the default language (Polish), whatever the visitor chose with the language switch. Here a visitor whose
    `django_language` cookie names another language is sent to that language's address (`/` -> `/en/`), for pages
    that have one and for GET and HEAD only (a form posted to a Polish address stays where it was sent).
    Accept-Language alone does not redirect: the service speaks Polish first, and English is a choice."""

    def process_request(self, request):
        super().process_request(request)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if (request.method not in ("GET", "HEAD") or language == settings.LANGUAGE_CODE
                or language not in dict(settings.LANGUAGES)
                or translation.get_language_from_path(request.path_info)):
            return None
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if not is_language_prefix_patterns_used(urlconf)[0]:
            return None
        with translation.override(language):  # the prefixed patterns match the active language's prefix only
            if not is_valid_path(f"/{language}{request.path_info}", urlconf):
                return None
        prefix = get_script_prefix()
        redirect = self.response_redirect_class(
            request.get_full_path().replace(prefix, f"{prefix}{language}/", 1))
        patch_vary_headers(redirect, ("Cookie",))
        return redirect

    def process_response(self, request, response):
        """An address without a language answers by the cookie: caches keep one answer per cookie."""
        response = super().process_response(request, response)
        if not translation.get_language_from_path(request.path_info):
            patch_vary_headers(response, ("Cookie",))
        return response
