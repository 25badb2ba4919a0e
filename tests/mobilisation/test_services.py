import datetime as dt

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog, OutboxEmail
from essaim.mobilisation import selectors, services
from essaim.mobilisation.models import Petition, PetitionCounter, Signature
from essaim.people.models import Consent, Person

from .conftest import confirm_link

pytestmark = pytest.mark.django_db


def _confirm(association, email):
    with scope(association=association):
        signature = Signature.objects.get(email=email)
        return services.signature_confirm(signature=signature)


def test_signing_is_pending_until_confirmed(association, petition, sign):
    assert sign() == "sent"
    with scope(association=association):
        signature = Signature.objects.get()
        assert signature.status == Signature.Status.PENDING
        assert signature.departement == "75"
        assert services.petition_count(petition, fresh=True) == 0
        assert not Person.objects.filter(email="jeanne@example.org").exists()
    assert OutboxEmail.objects.filter(to="jeanne@example.org", kind="petition_confirm").count() == 1
    assert _confirm(association, "jeanne@example.org") == "confirmed"
    with scope(association=association):
        assert services.petition_count(petition, fresh=True) == 1
        signature.refresh_from_db()
        assert signature.status == Signature.Status.CONFIRMED and signature.person is not None
        assert signature.person.email == "jeanne@example.org"
        # No consent was given: none recorded.
        assert not Consent.objects.filter(person=signature.person).exists()


def test_confirming_twice_counts_once(association, petition, sign):
    sign()
    assert _confirm(association, "jeanne@example.org") == "confirmed"
    assert _confirm(association, "jeanne@example.org") == "already"
    with scope(association=association):
        assert services.petition_count(petition, fresh=True) == 1


def test_consent_recorded_when_ticked_and_contact_matched(association, petition, sign, person):
    with scope(association=association):
        person.email = "Emilie.LeGoff@example.org"
        person.save()
    sign(email="emilie.legoff@example.org", first_name="Émilie", last_name="Le Goff", updates=True)
    _confirm(association, "emilie.legoff@example.org")
    with scope(association=association):
        signature = Signature.objects.get()
        assert signature.person_id == person.pk  # matched, not a duplicate contact
        consent = Consent.objects.get(person=person)
        assert consent.granted and consent.topic == Consent.Topic.ASSOCIATION_NEWS
        assert Person.objects.filter(email_folded="emilie.legoff@example.org").count() == 1


def test_same_person_twice_is_one_signature(association, petition, sign):
    assert sign(email="Jeanne.Durand@gmail.com") == "sent"
    assert sign(email="jeannedurand+petition@googlemail.com") == "resent"
    _confirm(association, "jeannedurand+petition@googlemail.com")
    assert sign(email="jeanne.durand@gmail.com") == "already"
    with scope(association=association):
        assert Signature.objects.count() == 1
        assert services.petition_count(petition, fresh=True) == 1
    # The person is told by e-mail, never on the page.
    assert OutboxEmail.objects.filter(kind="petition_already").count() == 1


@pytest.mark.parametrize("email", ["nobody", "a@b", "x@yopmail.com", "x@mail.yopmail.fr"])
def test_bad_or_disposable_email_refused(sign, email):
    with pytest.raises(ValidationError) as error:
        sign(email=email)
    assert "email" in error.value.message_dict


def test_extra_disposable_domains_from_settings(sign, settings):
    settings.ESSAIM_DISPOSABLE_DOMAINS_EXTRA = ["jetable.example"]
    with pytest.raises(ValidationError):
        sign(email="x@jetable.example")


@pytest.mark.parametrize(
    ("field", "value"),
    [("first_name", ""), ("last_name", " "), ("postcode", "!"), ("comment", "x" * 501)],
)
def test_bad_fields_refused(sign, field, value):
    with pytest.raises(ValidationError) as error:
        sign(**{field: value})
    assert field in error.value.message_dict


def test_closed_or_draft_petition_refuses(association, presidente, petition, sign):
    with scope(association=association):
        services.petition_set_status(
            association=association, acting_user=presidente, petition=petition, status="closed"
        )
    with pytest.raises(ValidationError):
        sign()


def test_ended_petition_refuses(association, petition, sign):
    with scope(association=association):
        petition.ends_on = timezone.localdate() - dt.timedelta(days=1)
        petition.save()
    with pytest.raises(ValidationError):
        sign()


def test_token_forged_expired(association, petition, sign, monkeypatch):
    sign()
    with scope(association=association):
        signature = Signature.objects.get()
    token = services.confirm_token(signature)
    assert services.signature_from_token(token)[0] == signature
    assert services.signature_from_token(token[:-2] + "xx") == (None, "invalid")
    forged = signing.TimestampSigner(salt="other").sign_object(str(signature.uuid))
    assert services.signature_from_token(forged) == (None, "invalid")
    import time

    real = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real() - 15 * 86400)
    old = services.confirm_token(signature)
    monkeypatch.setattr(signing.time, "time", real)
    assert services.signature_from_token(old) == (None, "expired")
    assert confirm_link("jeanne@example.org").endswith(f"/p/confirm/{token}/")


def test_rate_limits(settings):
    settings.ESSAIM_PETITION_RATE_LIMIT_IP = (3, 3600)
    settings.ESSAIM_PETITION_RATE_LIMIT_DOMAIN = (2, 3600)
    assert [services.sign_limited("198.51.100.1", f"a{i}@gmail.com") for i in range(4)] == [
        "",
        "",
        "",
        "ip",
    ]
    # A private domain is limited; a big shared provider is not.
    results = [
        services.sign_limited(f"198.51.100.{i + 10}", f"a{i}@fake.example") for i in range(3)
    ]
    assert results == ["", "", "domain"]
    assert services.sign_limited("198.51.100.99", "z@gmail.com") == ""


def test_invalidation_corrects_count_and_is_audited(association, presidente, petition, sign):
    for i in range(12):
        sign(email=f"bot{i}@example.org", ip="203.0.113.66")
    sign(email="honest@example.org", ip="198.51.100.7")
    with scope(association=association):
        for signature in Signature.objects.all()[:8]:
            services.signature_confirm(signature=signature)
        before = services.petition_count(petition, fresh=True)
        flags = selectors.fraud_flags(petition)
        ip_flag = next(f for f in flags if f["kind"] == "ip")
        assert ip_flag["count"] == 12
        group = selectors.flag_signatures(petition, "ip", ip_flag["key"], ip_flag["hour"])
        confirmed_bots = group.filter(status=Signature.Status.CONFIRMED).count()
        batch = services.signatures_invalidate(
            association=association,
            acting_user=presidente,
            petition=petition,
            signatures=group,
            reason="12 signatures in a minute from one address",
        )
        assert batch.signatures == 12 and batch.confirmed == confirmed_bots
        assert services.petition_count(petition, fresh=True) == before - confirmed_bots
        assert services.petition_reconcile(petition=petition) == (
            before - confirmed_bots,
            before - confirmed_bots,
        )
        assert AuditLog.objects.filter(action="signature.invalidate").count() == 1
        assert not [f for f in selectors.fraud_flags(petition) if f["kind"] == "ip"]
        with pytest.raises(ValidationError):
            services.signatures_invalidate(
                association=association,
                acting_user=presidente,
                petition=petition,
                signatures=group,
                reason="again",
            )
    # An invalidated signer confirming later is not counted.
    with scope(association=association):
        bot = Signature.objects.filter(status=Signature.Status.INVALIDATED).first()
        assert services.signature_confirm(signature=bot) == "invalidated"


def test_invalidation_needs_a_reason(association, presidente, petition, sign):
    sign()
    with scope(association=association), pytest.raises(ValidationError):
        services.signatures_invalidate(
            association=association,
            acting_user=presidente,
            petition=petition,
            signatures=Signature.objects.all(),
            reason=" ",
        )


def test_same_name_flag(association, petition, sign):
    for i in range(3):
        sign(email=f"jd{i}@example.org", ip=f"198.51.{i}.1")
    with scope(association=association):
        kinds = {f["kind"] for f in selectors.fraud_flags(petition)}
    assert kinds == {"name"}


def test_reconcile_repairs_a_wrong_count(association, petition, sign):
    sign()
    _confirm(association, "jeanne@example.org")
    with scope(association=association):
        # 40 too many in one shard, whichever shard the confirmation landed in (random).
        PetitionCounter.objects.filter(petition=petition, shard=3).update(count=F("count") + 40)
        assert services.petition_reconcile(petition=petition) == (41, 1)
        assert services.petition_count(petition) == 1
        assert AuditLog.objects.filter(action="petition.reconcile").count() == 1


def test_breakdown(association, petition, sign):
    for i, postcode in enumerate(["75011", "75012", "20000", "97411"]):
        sign(email=f"p{i}@example.org", postcode=postcode)
    with scope(association=association):
        for signature in Signature.objects.all():
            services.signature_confirm(signature=signature)
        rows = {r["code"]: r["count"] for r in selectors.breakdown(petition, cached=False)}
    assert rows == {"75": 2, "2A": 1, "974": 1}


def test_updates_go_once_to_signers_who_agreed(association, presidente, petition, sign):
    sign(email="yes@example.org", updates=True)
    sign(email="no@example.org", updates=False)
    sign(email="pending@example.org", updates=True)
    _confirm(association, "yes@example.org")
    _confirm(association, "no@example.org")
    with scope(association=association):
        update = services.petition_update_send(
            association=association,
            acting_user=presidente,
            petition=petition,
            subject="Nous avons été reçus",
            message="La maire nous reçoit lundi.",
        )
        assert update.recipients == 1
        with pytest.raises(ValidationError):  # a double click
            services.petition_update_send(
                association=association,
                acting_user=presidente,
                petition=petition,
                subject="Nous avons été reçus",
                message="La maire nous reçoit lundi.",
            )
    sent = OutboxEmail.objects.filter(kind="petition_update")
    assert [e.to for e in sent] == ["yes@example.org"]


def test_petition_validation_and_slug(association, presidente):
    with scope(association=association):
        with pytest.raises(ValidationError) as error:
            services.petition_create(
                association=association, acting_user=presidente, title="", text="", addressee=""
            )
        assert set(error.value.message_dict) == {"title", "text", "addressee"}
        first = services.petition_create(
            association=association, acting_user=presidente, title="Été", text="t", addressee="a"
        )
        second = services.petition_create(
            association=association, acting_user=presidente, title="Été", text="t", addressee="a"
        )
        assert (first.slug, second.slug) == ("ete", "ete-2")
        assert PetitionCounter.objects.filter(petition=first).count() == 16
        assert first.status == Petition.Status.DRAFT


def test_erasure_keeps_the_count_not_the_person(association, presidente, petition, sign):
    from essaim.core.privacy import registry

    sign(updates=True)
    _confirm(association, "jeanne@example.org")
    with scope(association=association):
        person = Person.objects.get(email="jeanne@example.org")
        entry = next(e for e in registry.entries() if e.key == "petition_signatures")
        exported = entry.export_person(person)
        assert exported[0]["last_name"] == "Durand"
        from essaim.people import services as people_services

        people_services.person_erase(association=association, acting_user=presidente, person=person)
        signature = Signature.objects.get()
        assert signature.status == Signature.Status.CONFIRMED
        assert (signature.first_name, signature.email, signature.postcode) == ("", "", "")
        assert signature.departement == "75" and signature.person is None
        assert services.petition_reconcile(petition=petition) == (1, 1)
    # She may sign again later: her old key is gone.
    assert sign() == "sent"


def test_retention(association, petition, sign):
    from essaim.mobilisation.privacy_entries import _retention

    sign(email="old@example.org")
    sign(email="kept@example.org")
    _confirm(association, "kept@example.org")
    with scopes_disabled():
        Signature.objects.update(created_at=timezone.now() - dt.timedelta(days=100))
        assert _retention(timezone.now()) >= 2
        assert list(Signature.objects.values_list("email", "ip_hash")) == [("kept@example.org", "")]


def test_signing_someone_else_again_and_again_sends_few_emails(association, petition, sign):
    for _ in range(10):
        sign(email="victime@example.org")
    assert OutboxEmail.objects.filter(to="victime@example.org").count() == 4  # 1 + 3 resent


def test_periodic_reconciliation_task(association, petition, sign):
    from essaim.mobilisation.tasks import petitions_reconcile

    sign()
    _confirm(association, "jeanne@example.org")
    with scope(association=association):
        PetitionCounter.objects.filter(petition=petition, shard=5).update(count=7)
    petitions_reconcile.enqueue()
    with scope(association=association):
        assert services.petition_count(petition, fresh=True) == 1
