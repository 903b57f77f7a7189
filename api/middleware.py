from django.utils import translation


class ApiLanguageMiddleware:
    """The API answers in the caller's language: the `django_language` cookie, then Accept-Language, then Polish.

    LocaleMiddleware gives every path outside `i18n_patterns` the default language, because the web pages carry
    theirs in the URL (`/en/...`); API URLs carry none. Placed after LocaleMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            request.LANGUAGE_CODE = translation.get_language_from_request(request)
            translation.activate(request.LANGUAGE_CODE)
        return self.get_response(request)
