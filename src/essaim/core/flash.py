"""Messages shown after a POST that called a service (the pattern of every "publish",
"close", "hide" button)."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError


def flash_error(request, error: ValidationError) -> None:
    """A service's refusal, shown at the top of the next page."""
    for message in error.messages:
        messages.error(request, message)


def run_and_flash(request, call: Callable[[], object], success: str) -> bool:
    """Run `call`; show its refusal or `success`. True when it went through."""
    try:
        call()
    except ValidationError as error:
        flash_error(request, error)
        return False
    messages.success(request, success)
    return True
