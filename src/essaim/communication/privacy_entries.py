"""Personal data held by communication.

# Lists and mailings
- subscriptions: who is on which list, since when, how they agreed;
- deliveries: to which address each mailing went, when, and whether the person unsubscribed,
  clicked a link or (only when the association counts them) opened it; clicks keep the time;
- suppressions and bounce events: addresses the association must not write to, and why.
"""

import datetime as dt

from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from essaim.core.privacy import PrivacyEntry, registry

from .models import BounceEvent, Delivery, Mailing, Subscription, Suppression

# Lists and mailings

DELIVERY_RETENTION = dt.timedelta(days=400)  # as long as the unsubscribe link works
BOUNCE_RETENTION = dt.timedelta(days=90)
UNSUBSCRIBED_RETENTION = dt.timedelta(days=3 * 365)


def _iso(value) -> str:
    return value.isoformat() if value else ""


def _subscriptions_export(person) -> list[dict]:
    return [
        {
            "list": s.newsletter.name,
            "status": s.status,
            "source": s.source,
            "legal_basis": s.legal_basis,
            "since": _iso(s.confirmed_at or s.created_at),
            "unsubscribed_at": _iso(s.unsubscribed_at),
        }
        for s in Subscription.objects.filter(
            association_id=person.association_id, person=person
        ).select_related("newsletter")
    ]


def _subscriptions_erase(person) -> None:
    Subscription.objects.filter(association_id=person.association_id, person=person).delete()


def _subscriptions_retention(now: dt.datetime) -> int:
    return Subscription.objects.filter(
        status=Subscription.Status.UNSUBSCRIBED, unsubscribed_at__lt=now - UNSUBSCRIBED_RETENTION
    ).delete()[0]


registry.register(
    PrivacyEntry(
        key="newsletter_subscriptions",
        label=_("Newsletter subscriptions"),
        data=_(
            "The lists each contact is subscribed to, since when, how they agreed (online "
            "confirmation, or the legal basis the team stated for an import), and when they "
            "unsubscribed."
        ),
        purpose=_("Sending each list only to the people who asked for it, and proving it."),
        legal_basis=_("Consent of the subscriber (confirmed by e-mail, or stated on import)."),
        retention=_(
            "As long as the person is subscribed; 3 years after they unsubscribe (proof of "
            "their choice), then deleted."
        ),
        models=("communication.Subscription", "communication.NewsletterList"),
        export_person=_subscriptions_export,
        erase_person=_subscriptions_erase,
        apply_retention=_subscriptions_retention,
        order=480,
    )
)


def _deliveries_export(person) -> list[dict]:
    return [
        {
            "mailing": d.mailing.subject,
            "email": d.email,
            "status": d.status,
            "sent_at": _iso(d.sent_at),
            "bounced_at": _iso(d.bounced_at),
            "unsubscribed_at": _iso(d.unsubscribed_at),
            "first_click_at": _iso(d.clicked_at),
            "clicks": [_iso(c.clicked_at) for c in d.clicks.all()],
            "opened_at": _iso(d.opened_at),
        }
        for d in Delivery.objects.filter(association_id=person.association_id, person=person)
        .select_related("mailing")
        .prefetch_related("clicks")
    ]


def _anonymise(deliveries) -> int:
    """The mailing's figures stay (a row per recipient, its status and times), the address
    and the link to the contact go; the unique key gets a value nobody can collide with."""
    return deliveries.exclude(email="").update(
        email="",
        email_canonical=Concat(Value("~"), F("uuid")),
        person=None,
    )


def _deliveries_erase(person) -> None:
    _anonymise(Delivery.objects.filter(association_id=person.association_id, person=person))


def _deliveries_retention(now: dt.datetime) -> int:
    touched = _anonymise(
        Delivery.objects.filter(
            mailing__finished_at__lt=now - DELIVERY_RETENTION,
        )
    )
    touched += BounceEvent.objects.filter(received_at__lt=now - BOUNCE_RETENTION).delete()[0]
    return touched


registry.register(
    PrivacyEntry(
        key="mailing_deliveries",
        label=_("Mailings sent"),
        data=_(
            "For each mailing: the address it went to, when it was handed to the mail "
            "server, whether it bounced, whether the person unsubscribed from it, the times of "
            "their clicks on its links (no IP address, no browser) and, only if the "
            "association turned it on, when they opened it. Bounce and complaint reports "
            "received about the address."
        ),
        purpose=_(
            "Sending each person a mailing once, honouring unsubscriptions from any message, "
            "suppressing addresses that do not work, and counting the mailing's results."
        ),
        legal_basis=_(
            "Consent of the recipient for the mailing; legitimate interest of the association "
            "for the figures and the bounce handling."
        ),
        retention=_(
            "400 days after the mailing (the time its unsubscribe link works), then the "
            "address goes and only anonymous figures remain. Bounce reports: 90 days."
        ),
        models=(
            "communication.Delivery",
            "communication.Click",
            "communication.BounceEvent",
            "communication.MailingLink",
        ),
        export_person=_deliveries_export,
        erase_person=_deliveries_erase,
        apply_retention=_deliveries_retention,
        order=481,
    )
)


def _suppressions_export(person) -> list[dict]:
    from essaim.mobilisation.canonical import canonical_email

    if not person.email:
        return []
    return [
        {"email": s.email, "reason": s.reason, "since": _iso(s.created_at), "detail": s.detail}
        for s in Suppression.objects.filter(
            association_id=person.association_id, email_canonical=canonical_email(person.email)
        )
    ]


def _suppressions_erase(person) -> None:
    """The suppression itself stays: it is the list of addresses that must never receive a
    mailing again (an opposition list, which the CNIL lets an organisation keep precisely so
    it can respect the objection). Its free-text detail goes."""
    from essaim.mobilisation.canonical import canonical_email

    if person.email:
        Suppression.objects.filter(
            association_id=person.association_id, email_canonical=canonical_email(person.email)
        ).update(detail="")


registry.register(
    PrivacyEntry(
        key="mailing_suppressions",
        label=_("Suppressed addresses"),
        data=_(
            "E-mail addresses the association no longer writes to, with the reason (bounce, "
            "spam complaint, the team's decision) and the date."
        ),
        purpose=_("Never writing again to an address that does not work or does not want it."),
        legal_basis=_("Legal obligation (respecting an objection) and legitimate interest."),
        retention=_(
            "Until the team removes the address; kept after the contact's erasure so the "
            "objection is still respected."
        ),
        models=("communication.Suppression",),
        export_person=_suppressions_export,
        erase_person=_suppressions_erase,
        order=482,
    )
)


def _team_export(user) -> list[dict]:
    with scopes_disabled():
        rows = [
            {
                "association": m.association.name,
                "mailing": m.subject,
                "created": _iso(m.created_at),
                "status": m.status,
            }
            for m in Mailing.objects.filter(created_by=user).select_related("association")
        ]
        rows += [
            {
                "association": s.association.name,
                "suppressed_address": s.email,
                "created": _iso(s.created_at),
            }
            for s in Suppression.objects.filter(created_by=user).select_related("association")
        ]
    return rows


registry.register(
    PrivacyEntry(
        key="mailing_team",
        label=_("Mailings (team)"),
        data=_("Which team member wrote a mailing or suppressed an address."),
        purpose=_("Knowing who in the team answers for a mailing."),
        legal_basis=_("Legitimate interest of the association (running its organisation)."),
        retention=_("As long as the mailing; the link to the account goes with the account."),
        models=("communication.Mailing", "communication.MailingSettings"),
        export_user=_team_export,
        order=483,
    )
)


# Audiences, public page and news


def _audiences_team_export(user) -> list[dict]:
    from .models import Audience

    with scopes_disabled():
        rows = [
            {
                "association": a.association.name,
                "audience": a.name,
                "created": _iso(a.created_at),
            }
            for a in Audience.objects.filter(created_by=user).select_related("association")
        ]
    return rows


def _news_team_export(user) -> list[dict]:
    from .models import NewsPost

    with scopes_disabled():
        rows = [
            {
                "association": p.association.name,
                "news_post": p.title,
                "status": p.status,
                "published_at": _iso(p.published_at),
            }
            for p in NewsPost.objects.filter(author=user).select_related("association")
        ]
    return rows


registry.register(
    PrivacyEntry(
        key="audiences",
        label=_("Audiences"),
        data=_(
            "An audience holds criteria only (membership, gifts, tags, consents…) and which "
            "team member created it: the contacts in it are computed when it is used. Its "
            "downloads (CSV, Excel) do contain personal data (names, addresses, e-mail, "
            "phone, tags); each download is recorded in the activity log with its size."
        ),
        purpose=_("Choosing who receives a mailing or a call, without copying the contacts."),
        legal_basis=_("Legitimate interest of the association (running its communication)."),
        retention=_(
            "Until the team deletes the audience. A downloaded file leaves Essaim: the team "
            "keeps it safe and deletes it once used."
        ),
        models=("communication.Audience",),
        export_user=_audiences_team_export,
        order=484,
    )
)

registry.register(
    PrivacyEntry(
        key="public_page_news",
        label=_("Public page and news"),
        data=_(
            "The association's public presentation and its news posts (text, image, dates), "
            "with the team member who wrote each post. The association's contact e-mail and "
            "phone appear on the page only if the team chooses to show them. No visitor data "
            "is kept (no cookie, no statistics)."
        ),
        purpose=_("Presenting the association and its news to the public."),
        legal_basis=_("Legitimate interest of the association (public communication)."),
        retention=_(
            "Until the team deletes the post; the link to its author goes with their account."
        ),
        models=("communication.PublicPage", "communication.NewsPost"),
        export_user=_news_team_export,
        order=485,
    )
)
