"""Appeals for gifts: a campaign asks its past donors by e-mail, within the CNIL's rules.

Asked: the contacts who gave in the last three years, have an e-mail address, said yes to
news of the association (their latest answer), are not anonymised, and have not left two
appeals in a row unanswered (people.solicitations). Each e-mail is one solicitation; a gift
answers every open solicitation of its donor (`gift_answers_appeals`, on Gift creation).
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log
from essaim.core.emails import check_message, email_enqueue
from essaim.core.models import Association
from essaim.people import services as people_services
from essaim.people import solicitations
from essaim.people.models import Consent, Person, Solicitation
from essaim.people.selectors import person_from_link_token, person_link_token

from .models import Campaign, Gift

DONOR_YEARS = 3


def left_out_count(association: Association) -> int:
    """Past donors who may not be asked any more: two appeals in a row unanswered."""
    return solicitations.not_to_solicit(association).filter(person__erased_at__isnull=True).count()


def appeal_audience(association: Association, today: dt.date | None = None) -> QuerySet[Person]:
    """The past donors an appeal may be sent to (see the module's docstring)."""
    today = today or timezone.localdate()
    since = today.replace(year=today.year - DONOR_YEARS)
    latest_news = Consent.objects.filter(
        person=OuterRef("pk"), topic=Consent.Topic.ASSOCIATION_NEWS
    ).order_by("-recorded_at", "-id")
    donors = Person.objects.filter(
        association=association, erased_at__isnull=True, email_folded__gt=""
    ).filter(
        Exists(Gift.objects.filter(person=OuterRef("pk"), received_on__gte=since)),
    )
    donors = donors.annotate(news=Subquery(latest_news.values("granted")[:1])).filter(news=True)
    return solicitations.persons_solicitable(association, donors).order_by("sort_name", "id")


STOP_SALT = "essaim.fundraising.appeals.stop"
SOURCE = "appel-courriel"  # the share source of the gifts an appeal brings


def stop_token(person: Person) -> str:
    """The link in every e-mail of this kind to stop them (no expiry)."""
    return person_link_token(person, salt=STOP_SALT)


def stop_person(token: str) -> Person | None:
    return person_from_link_token(token, salt=STOP_SALT)


def stop_url(person: Person) -> str:
    return settings.ESSAIM_BASE_URL + reverse("donate:stop", kwargs={"token": stop_token(person)})


def appeals_stop(person: Person) -> None:
    """The donor asks for no more appeals: a "no" to news of the association, by e-mail (the
    audience only takes those whose latest answer is yes). Answering twice records once."""
    latest = (
        Consent.objects.filter(person=person, topic=Consent.Topic.ASSOCIATION_NEWS)
        .order_by("-recorded_at", "-id")
        .first()
    )
    if latest is not None and not latest.granted:
        return
    people_services.consent_record(
        association=person.association,
        acting_user=None,
        person=person,
        topic=Consent.Topic.ASSOCIATION_NEWS,
        granted=False,
        source=Consent.Source.EMAIL,
        note=_("Asked to receive no more appeals for gifts (link in an appeal)."),
    )


@transaction.atomic
def appeal_send(
    *, association: Association, acting_user, campaign: Campaign, subject: str, message: str
) -> int:
    """E-mail the appeal to the audience and note one solicitation each. Returns the count."""
    subject, message, errors = check_message(subject, message)
    if campaign.association_id != association.pk:
        errors["campaign"] = _("Unknown campaign.")
    elif campaign.status != Campaign.Status.PUBLISHED:
        errors["campaign"] = _("Publish the campaign before asking for gifts: its page is closed.")
    if errors:
        raise ValidationError(errors)
    audience = list(appeal_audience(association))
    from .donate_views import page_url  # the page's address, with the appeal's source

    url = page_url(campaign, association, SOURCE)
    for person in audience:
        email_enqueue(
            to=person.email,
            template="gift_appeal",
            context={
                "subject": subject,
                "message": message,
                "first_name": person.first_name,
                "campaign": campaign,
                "campaign_url": url,
                "stop_url": stop_url(person),
            },
            association=association,
        )
    solicitations.solicitations_record(
        association=association,
        acting_user=acting_user,
        persons=audience,
        channel=Solicitation.Channel.EMAIL,
        subject=f"{campaign.title} — {subject}"[:200],
    )
    audit_log(
        association=association,
        actor=acting_user,
        action="campaign.appeal",
        obj=campaign,
        data={"count": len(audience), "subject": subject},
    )
    return len(audience)


def gift_answers_appeals(sender, instance: Gift, created: bool, **kwargs) -> None:
    """post_save receiver: a new gift answers its donor's open appeals."""
    if created and instance.person_id:
        solicitations.solicitations_answer(person=instance.person)
