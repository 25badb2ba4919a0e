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
