"""The demo's petition: the Collectif Vélo Solidaire asks the Métropole de Lyon for a
protected cycle lane on the cours Gambetta. Signers from Lyon and around (Rhône, Ain, Isère),
a few from further away; most confirmed their signature, some have not yet; a share link by
newsletter and one on Facebook."""

import random

from django.utils import timezone
from django_scopes import scope

from essaim.core import demo
from essaim.lib.frenchdata import FrenchPeople

from . import services
from .models import Petition, Signature

TEXT = (
    "Chaque jour, des centaines de cyclistes empruntent le cours Gambetta entre le Rhône et "
    "la place Gabriel Péri, au milieu des voitures et des bus.\n\n"
    "Nous demandons à la Métropole de Lyon d'aménager une piste cyclable protégée sur tout le "
    "cours, avant la rentrée prochaine, et de consulter les habitants et les associations "
    "d'usagers sur son tracé."
)
POSTCODES = ("69003", "69007", "69008", "69100", "69200", "69300", "01000", "38000", "75011")


def _load(context: dict) -> None:
    velo, coordinator = context["velo"], context["users"]["velo"]
    rng = random.Random(2026)
    with scope(association=velo):
        petition = services.petition_create(
            association=velo,
            acting_user=coordinator,
            title="Une piste cyclable protégée sur le cours Gambetta",
            addressee="Monsieur le Président de la Métropole de Lyon",
            text=TEXT,
            goal=500,
            ends_on=timezone.localdate().replace(year=timezone.localdate().year + 1),
        )
        services.petition_set_status(
            association=velo,
            acting_user=coordinator,
            petition=petition,
            status=Petition.Status.OPEN,
        )
        people = FrenchPeople(seed=1901, email_share=1.0)
        for index, person in enumerate(people.many(60)):
            services.signature_sign(
                association=velo,
                petition=petition,
                ip=f"192.0.2.{rng.randrange(1, 250)}",
                source=rng.choice(("", "", "newsletter", "facebook")),
                updates=rng.random() < 0.6,
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
                postcode=rng.choice(POSTCODES),
                comment="Je vais au travail à vélo tous les jours." if index % 9 == 0 else "",
            )
        for signature in Signature.objects.filter(petition=petition).order_by("id")[:52]:
            services.signature_confirm(signature=signature)


demo.register("mobilisation", _load, order=55)


def _load_events(context: dict) -> None:
    """An upcoming bike repair workshop with a few places left and a waiting list, a weekly
    series of evening rides, and a call to action to come to the workshop."""
    import datetime as dt

    from . import actions, events

    velo, coordinator = context["velo"], context["users"]["velo"]
    rng = random.Random(2027)
    today = timezone.localdate()
    day = today + dt.timedelta(days=(5 - today.weekday()) % 7 + 7)  # a Saturday, next week
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(14, 0)))
    with scope(association=velo):
        workshop = events.event_create(
            association=velo,
            acting_user=coordinator,
            title="Atelier d'autoréparation de vélos",
            description=(
                "Apportez votre vélo : freins, dérailleur, crevaison… Les bénévoles de "
                "l'atelier vous montrent comment le réparer vous-même. Outils fournis."
            ),
            cover_text="Un samedi après-midi pour apprendre à réparer son vélo.",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=3),
            place="Atelier du Collectif, 12 rue Paul Bert, 69003 Lyon",
            capacity=12,
            max_guests=1,
        )
        workshop = events.event_set_status(
            association=velo, acting_user=coordinator, event=workshop, status="published"
        )
        workshop.association = velo
        people = FrenchPeople(seed=1903, email_share=1.0)
        for person in people.many(14):
            events.registration_create(
                association=velo,
                event=workshop,
                email=person.email,
                first_name=person.first_name,
                last_name=person.last_name,
                guests=1 if rng.random() < 0.2 else 0,
                news=rng.random() < 0.5,
                source=rng.choice(("", "newsletter", "facebook")),
            )
        pending = list(events.Registration.objects.filter(event=workshop).order_by("id"))
        for registration in pending[:12]:
            registration.association = velo
            registration.event = workshop
            events.registration_confirm(registration=registration)
        ride_day = today + dt.timedelta(days=(2 - today.weekday()) % 7 + 1)  # a Wednesday
        ride = timezone.make_aware(dt.datetime.combine(ride_day, dt.time(19, 0)))
        rides = events.event_create(
            association=velo,
            acting_user=coordinator,
            title="Balade vélo du mercredi soir",
            description="Une boucle tranquille de 15 km le long du Rhône. Lumières obligatoires.",
            starts_at=ride,
            ends_at=ride + dt.timedelta(hours=2),
            place="Départ place Guichard, 69003 Lyon",
            repeat="weekly",
            repeat_until=ride_day + dt.timedelta(weeks=5),
        )
        for occurrence in events.Event.objects.filter(series=rides.series):
            events.event_set_status(
                association=velo, acting_user=coordinator, event=occurrence, status="published"
            )
        action = actions.action_create(
            association=velo,
            acting_user=coordinator,
            kind="event",
            title="Venez à l'atelier d'autoréparation",
            description="Inscrivez-vous et amenez un ami : plus on est, plus on répare.",
            event=events.Event.objects.get(pk=workshop.pk),
        )
        actions.action_set_status(
            association=velo, acting_user=coordinator, action=action, status="published"
        )


demo.register("mobilisation_events", _load_events, order=56)
