import pytest
from django.core.cache import cache
from django_scopes import scope

from essaim.core.models import OutboxEmail
from essaim.mobilisation import services
from essaim.mobilisation.models import Petition


@pytest.fixture
def petition(association, presidente):
    with scope(association=association):
        petition = services.petition_create(
            association=association,
            acting_user=presidente,
            title="Sauvons le square Léon",
            addressee="Madame la Maire",
            text="Nous demandons que le square reste un jardin.\n\nMerci.",
            goal=100,
        )
        services.petition_set_status(
            association=association,
            acting_user=presidente,
            petition=petition,
            status=Petition.Status.OPEN,
        )
    petition.association = association
    return petition


@pytest.fixture
def sign(association, petition):
    """sign(email=…, **fields) → the service's outcome (defaults fill the other fields)."""

    def run(email="jeanne@example.org", ip="203.0.113.5", petition=petition, **fields):
        data = {"first_name": "Jeanne", "last_name": "Durand", "postcode": "75011"} | fields
        with scope(association=association):
            return services.signature_sign(
                association=association, petition=petition, ip=ip, email=email, **data
            )

    return run


def confirm_link(to: str) -> str:
    email = OutboxEmail.objects.filter(to=to, kind="petition_confirm").order_by("-id").first()
    assert email is not None, f"no confirmation e-mail to {to}"
    start = email.body_text.index("http")
    return email.body_text[start:].split()[0]


def path_of(url: str) -> str:
    from django.conf import settings

    return url.removeprefix(settings.ESSAIM_BASE_URL)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()
