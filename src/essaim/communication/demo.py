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


# Lists and mailings

LETTER = (
    "Bonjour {{ first_name }},\n\n"
    "## Ce mois-ci au quartier\n\n"
    "- **samedi 14** : repair café à la maison de quartier, de 14 h à 18 h ;\n"
    "- **mercredi 18** : aide aux devoirs, on cherche deux bénévoles ;\n"
    "- le jardin partagé a besoin de bras pour les semis.\n\n"
    "Tout le programme est sur [notre page](https://example.org/amis-du-quartier).\n\n"
    "À très vite,\n\nHélène, pour {{ association }}"
)


def _load_mailings(context: dict) -> None:
    """A newsletter list (its subscribers imported from the contacts who said yes to the
    newsletter, with the legal basis), a sent mailing with a few clicks and one
    unsubscription, and a draft."""
    from django.core.mail import get_connection

    from essaim.people.models import Consent, Person

    from . import lists, mailings, sending, tracking
    from .models import Delivery

    quartier, presidente = context["quartier"], context["users"]["presidente"]
    with scope(association=quartier):
        letter = lists.newsletter_create(
            association=quartier,
            acting_user=presidente,
            name="La lettre du quartier",
            description="Une fois par mois : les rendez-vous du quartier et les nouvelles de "
            "l'association.",
            is_public=True,
        )
        agreed = Consent.objects.filter(
            association=quartier, topic=Consent.Topic.NEWSLETTER, granted=True
        ).values("person_id")
        emails = list(
            Person.objects.filter(association=quartier, pk__in=agreed, erased_at__isnull=True)
            .exclude(email="")
            .values_list("email", flat=True)[:60]
        )
        if not emails:
            return
        lists.subscribers_import(
            association=quartier,
            acting_user=presidente,
            newsletter=letter,
            lines="\n".join(emails),
            legal_basis="Case « lettre d'information » cochée sur le bulletin d'adhésion",
        )
        mailing = mailings.mailing_create(
            association=quartier,
            acting_user=presidente,
            subject="La lettre du quartier : les rendez-vous du mois",
            from_name="Les Amis du Quartier",
            newsletter=letter,
            body=LETTER,
        )
        mailings.mailing_schedule(
            association=quartier,
            acting_user=presidente,
            mailing=mailing,
            send_at=timezone.now() + dt.timedelta(minutes=1),
        )
        mailing.scheduled_at = timezone.now() - dt.timedelta(days=6)
        mailing.save(update_fields=["scheduled_at"])
        mailings.mailing_start(mailing.pk, now=timezone.now())
        # Kept in memory: the demo's "sent" mailing must not fill var/mail.
        connection = get_connection("django.core.mail.backends.locmem.EmailBackend")
        sending.send_mailing(mailing.pk, connection=connection)
        deliveries = list(Delivery.objects.filter(mailing=mailing).order_by("id"))
        for delivery in deliveries[: max(1, len(deliveries) // 3)]:
            tracking.click_record(
                tracking.click_url(delivery.uuid.hex, 0).rsplit("/r/", 1)[1].rstrip("/")
            )
        if deliveries:
            lists.delivery_unsubscribe(delivery=deliveries[-1])
        mailings.mailing_create(
            association=quartier,
            acting_user=presidente,
            subject="Appel aux bénévoles pour la fête des voisins",
            from_name="Les Amis du Quartier",
            topic="association_news",
            body="Bonjour {{ first_name }},\n\nNous cherchons des bras pour monter les tables.",
        )


demo.register("communication_mailings", _load_mailings, order=91)
