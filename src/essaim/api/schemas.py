"""API input and output shapes. Field names are the English code names (see GLOSSARY.md)."""

import datetime as dt
from uuid import UUID

from ninja import Field, Schema

from essaim.people.models import Consent


class ErrorItem(Schema):
    loc: list[str | int] = Field(description="Where: ['body', 'email'], ['query', 'page']…")
    msg: str = Field(description="Translated message, shown as is to a user.")
    type: str = Field(description="Machine-readable kind of error.")


class Error(Schema):
    """The one error format of the API, whatever the status code."""

    detail: str
    errors: list[ErrorItem] = []


class AssociationOut(Schema):
    uuid: UUID
    name: str
    slug: str
    rna: str
    siren: str
    siret: str
    objet: str
    address_line1: str
    address_line2: str
    postcode: str
    city: str
    email: str
    website: str


class PersonIn(Schema):
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)
    address_line1: str = Field("", max_length=200)
    address_line2: str = Field("", max_length=200)
    postcode: str = Field("", max_length=10)
    city: str = Field("", max_length=100)
    country: str = Field("FR", max_length=2)
    birth_date: dt.date | None = None
    notes: str = Field("", max_length=10000)
    tags: list[str] = Field(default_factory=list, max_length=50)


class PersonPatch(Schema):
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=30)
    address_line1: str | None = Field(None, max_length=200)
    address_line2: str | None = Field(None, max_length=200)
    postcode: str | None = Field(None, max_length=10)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=2)
    birth_date: dt.date | None = None
    notes: str | None = Field(None, max_length=10000)
    tags: list[str] | None = Field(None, max_length=50)


class PersonOut(Schema):
    uuid: UUID
    first_name: str
    last_name: str
    email: str
    phone: str
    address_line1: str
    address_line2: str
    postcode: str
    city: str
    country: str
    birth_date: dt.date | None
    notes: str
    tags: list[str]
    erased: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return sorted(t.name for t in obj.tags.all())

    @staticmethod
    def resolve_erased(obj) -> bool:
        return obj.erased_at is not None


# The choices are enums in the document, so that a client (and the fuzzer) knows them.
class ConsentIn(Schema):
    topic: Consent.Topic = Field(description="What the person agreed or refused to.")
    granted: bool
    source: Consent.Source = Field(description="How the answer was given.")
    note: str = Field("", max_length=255)


class ConsentOut(Schema):
    topic: Consent.Topic
    granted: bool
    source: Consent.Source
    note: str
    recorded_at: dt.datetime
