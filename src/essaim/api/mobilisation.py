"""API of petitions: list, count, sign (for the association's own website or app).

Signing through the API follows the public form's rules: the same validation, disposable
domains refused, the same double opt-in (the signer confirms from the e-mail), the same
answer whether or not the address had signed before. The rate limit per client address
applies to the address the website gives (`ip`), the domain limit as on the form.
"""

from typing import Literal
from uuid import UUID

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from essaim.mobilisation import services
from essaim.mobilisation.models import Petition

from .auth import tenant
from .routers import ERRORS, NO_NUL

CAPABILITY = "can_send_mailings"
# A Literal, not the model's TextChoices: an enum class named "Status" would take the place of
# the memberships' "Status" in the OpenAPI components.
PetitionStatus = Literal["draft", "open", "closed"]


class PetitionOut(Schema):
    uuid: UUID
    slug: str
    title: str
    addressee: str
    status: PetitionStatus
    goal: int
    ends_on: str | None = None
    count: int
    url: str


class CountOut(Schema):
    uuid: UUID
    count: int
    goal: int
    status: PetitionStatus


class SignIn(Schema):
    first_name: str = Field(..., max_length=150, pattern=NO_NUL)
    last_name: str = Field(..., max_length=150, pattern=NO_NUL)
    email: str = Field(..., max_length=254, pattern=NO_NUL)
    postcode: str = Field(..., max_length=10, pattern=NO_NUL)
    comment: str = Field("", max_length=500, pattern=NO_NUL)
    updates: bool = False
    source: str = Field("api", max_length=40, pattern=NO_NUL)
    ip: str = Field("", max_length=45, pattern=NO_NUL, description="the signer's address")


class SignOut(Schema):
    detail: str


petition_router = Router(tags=["petitions"])


def _out(petition: Petition) -> dict:
    return {
        "uuid": petition.uuid,
        "slug": petition.slug,
        "title": petition.title,
        "addressee": petition.addressee,
        "status": petition.status,
        "goal": petition.goal,
        "ends_on": petition.ends_on.isoformat() if petition.ends_on else None,
        "count": services.petition_count(petition),
        "url": services.petition_url(petition),
    }


@petition_router.get("", response={200: list[PetitionOut], **ERRORS})
@tenant(CAPABILITY)
def petition_list(request):
    """The association's petitions with their counts of confirmed signatures."""
    petitions = Petition.objects.filter(association=request.association).select_related(
        "association"
    )[:200]
    return [_out(p) for p in petitions]


@petition_router.get("/{petition_uuid}/count", response={200: CountOut, **ERRORS})
@tenant(CAPABILITY)
def petition_count(request, petition_uuid: UUID):
    """Confirmed signatures (cached a few seconds during a surge; exact at rest)."""
    petition = get_object_or_404(Petition, association=request.association, uuid=petition_uuid)
    return {
        "uuid": petition.uuid,
        "count": services.petition_count(petition),
        "goal": petition.goal,
        "status": petition.status,
    }


@petition_router.post("/{petition_uuid}/signatures", response={202: SignOut, **ERRORS})
@tenant(CAPABILITY)
def petition_sign(request, petition_uuid: UUID, payload: SignIn):
    """Sign: a confirmation e-mail goes to the address; the signature counts once confirmed.
    202 in every case (new, pending or already signed): nobody learns whether an address
    signed."""
    association = request.association
    petition = get_object_or_404(
        Petition.objects.select_related("association"), association=association, uuid=petition_uuid
    )
    ip = payload.ip or f"api:{request.auth.pk}"
    limited = services.sign_limited(ip, payload.email)
    if limited:
        raise HttpError(429, "Too many signatures from this address or e-mail domain.")
    data = payload.dict()
    services.signature_sign(
        association=association,
        petition=petition,
        ip=data.pop("ip") or ip,
        source=data.pop("source"),
        updates=data.pop("updates"),
        **data,
    )
    return Status(202, {"detail": "A confirmation e-mail was sent."})
