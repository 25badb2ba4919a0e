from django.conf import settings
from django.utils import translation


class UserLanguageMiddleware:
    """A signed-in user sees their account's language unless they just chose another one.

    Runs after LocaleMiddleware: the language cookie (set by the language switch) wins, then
    the account's language, then the browser's Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.language
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
