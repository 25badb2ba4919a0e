"""The demo's communication: two audiences and a published public page with three news posts
for Les Amis du Quartier."""

import datetime as dt

from django.utils import timezone
from django_scopes import scope

from essaim.core import demo
from essaim.people.models import Tag

from . import audiences, site

PRESENTATION = (
    "Les Amis du Quartier font vivre le quartier depuis 2009 : **fête des voisins**, jardin "
    "partagé, repair café et aide aux devoirs.\n\n"
    "Pour nous aider :\n"
    "- adhérez (20 € par an, 10 € au tarif réduit) ;\n"
    "- venez donner un coup de main au jardin le samedi matin ;\n"
    "- parlez de nous autour de vous."
)
NEWS = (
    (
        "Retour sur la fête des voisins",
        "Plus de 200 voisins, 40 plats partagés et un grand soleil.",
        "Merci à toutes et à tous ! La **fête des voisins** a réuni plus de 200 personnes "
        "rue des Lilas.\n\nUn merci particulier aux bénévoles qui ont monté les tables dès "
        "8 heures.",
        40,
    ),
    (
        "Le jardin partagé cherche des bras",
        "Les semis de printemps commencent : rejoignez-nous le samedi matin.",
        "Le jardin partagé rouvre ses portes.\n\n- semis : samedi 10 h ;\n- arrosage : chacun "
        "son tour, le planning est à l'entrée.\n\nAucune expérience n'est nécessaire.",
        12,
    ),
    (
        "Assemblée générale : le compte rendu",
        "Le rapport moral et le rapport financier ont été approuvés.",
        "L'assemblée générale s'est tenue à la maison de quartier. Le **rapport moral** et le "
        "**rapport financier** ont été approuvés à l'unanimité.\n\nLe compte rendu complet "
        "est disponible sur demande.",
        3,
    ),
)


def _load(context: dict) -> None:
    quartier, presidente = context["quartier"], context["users"]["presidente"]
    with scope(association=quartier):
        audiences.audience_create(
            association=quartier,
            acting_user=presidente,
            name="Adhérents à jour avec e-mail",
            description="Pour la lettre d'information des adhérents.",
            definition={
                "version": 1,
                "include": [
                    {"criterion": "members.status", "params": {"statuses": ["current"]}},
                    {"criterion": "people.has_email", "params": {}},
                ],
            },
        )
        garden = Tag.objects.filter(association=quartier, name="jardin partagé").first()
        include = [{"criterion": "members.status", "params": {"statuses": ["lapsed", "never"]}}]
        if garden is not None:
            include.append({"criterion": "people.tags", "params": {"tags": [str(garden.pk)]}})
        audiences.audience_create(
            association=quartier,
            acting_user=presidente,
            name="Jardiniers pas (encore) adhérents",
            definition={"version": 1, "include": include, "exclude": []},
        )
        site.public_page_update(
            association=quartier,
            acting_user=presidente,
            presentation=PRESENTATION,
            published=True,
            show_email=True,
        )
        now = timezone.now()
        for title, summary, body, days_ago in NEWS:
            post = site.news_create(
                association=quartier,
                acting_user=presidente,
                title=title,
                summary=summary,
                body=body,
                publish=True,
            )
            post.published_at = now - dt.timedelta(days=days_ago)
            post.save(update_fields=["published_at"])


demo.register("communication_site", _load, order=90)
