"""What a column can be imported as, the French column titles we recognise, and the presets
for the exports of HelloAsso and Paheko (their columns are listed in docs/guide/import.md).

Column titles are compared folded: without accents, case, punctuation or a "Champ
additionnel :" prefix (HelloAsso's custom fields), so "Adresse E-Mail", "adresse e-mail" and
"ADRESSE EMAIL" are the same title.
"""

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from essaim.lib.text import fold


@dataclass(frozen=True)
class Field:
    key: str
    label: Promise
    group: str  # "person" or "membership"
    multiple: bool = False  # several columns may feed it (two phone columns, tags, notes)
    help: Promise | str = ""


FIELDS: tuple[Field, ...] = (
    Field("last_name", _("Last name"), "person"),
    Field("first_name", _("First name"), "person"),
    Field(
        "full_name",
        _("Last and first name (one column)"),
        "person",
        help=_("Split into last and first name; words in capitals are the last name."),
    ),
    Field("email", _("E-mail"), "person"),
    Field("phone", _("Phone"), "person", multiple=True),
    Field("address_line1", _("Address"), "person"),
    Field("address_line2", _("Address (continued)"), "person"),
    Field("postcode", _("Postcode"), "person"),
    Field("city", _("Town"), "person"),
    Field("country", _("Country"), "person"),
    Field("birth_date", _("Date of birth"), "person"),
    Field("tags", _("Tags"), "person", multiple=True),
    Field("notes", _("Notes"), "person", multiple=True),
    Field("membership_type", _("Membership type"), "membership"),
    Field("joined_on", _("Date of joining"), "membership"),
    Field("amount", _("Amount paid"), "membership"),
    Field("discount", _("Discount (taken off the amount)"), "membership"),
    Field("paid", _("Paid (yes/no, date of payment or status)"), "membership"),
    Field("payment_method", _("Payment method"), "membership"),
    Field("payment_reference", _("Payment reference (cheque number…)"), "membership"),
)
BY_KEY = {f.key: f for f in FIELDS}
IGNORE = ""

_PREFIX = re.compile(r"^champ (?:additionnel|complementaire|personnalise)s? ")


def normalise_title(title: str) -> str:
    """ "Champ additionnel: Adresse E-Mail" → "adresse e mail"; "Nom & prénom" → "nom et prenom"."""
    folded = fold(title).replace("&", " et ").replace("n°", "numero ")
    folded = re.sub(r"[^a-z0-9]+", " ", folded).strip()
    return _PREFIX.sub("", folded)


def _titles(*titles: str) -> set[str]:
    return {normalise_title(t) for t in titles}


# Exact titles, any source. The value is the field; an explicit IGNORE wins over the
# "contains" rules below (a year of birth is not a date of birth).
SYNONYMS: dict[str, str] = {}
for _key, _names in {
    "last_name": _titles(
        "Nom", "Nom de famille", "Nom adhérent", "Nom de l'adhérent", "Nom du membre",
        "Nom de naissance", "Nom d'usage", "Last name", "Lastname", "Surname", "Family name",
        "NOM",
    ),
    "first_name": _titles(
        "Prénom", "Prénoms", "Prénom adhérent", "Prénom de l'adhérent", "Prénom du membre",
        "First name", "Firstname", "Given name",
    ),
    "full_name": _titles(
        "Nom & prénom", "Nom et prénom", "Nom prénom", "Nom, prénom", "Prénom nom",
        "Prénom et nom", "Nom complet", "Identité", "Adhérent", "Membre", "Name", "Full name",
    ),
    "email": _titles(
        "E-mail", "Email", "Mail", "Courriel", "Adresse e-mail", "Adresse email",
        "Adresse mail", "Adresse électronique", "Adresse courriel", "Email payeur",
        "Mél", "E-mail address", "Email address",
    ),
    "phone": _titles(
        "Tél", "Tél.", "Tel", "Téléphone", "Portable", "Mobile", "Téléphone portable",
        "Téléphone mobile", "Tél. portable", "Tél portable", "Numéro de téléphone", "GSM",
        "Téléphone fixe", "Tél. fixe", "Numéro de téléphone mobile",
        "Numéro de téléphone fixe", "Phone", "Phone number",
    ),
    "address_line1": _titles(
        "Adresse", "Adresse postale", "Rue", "Adresse 1", "Adresse ligne 1", "Voie",
        "Adresse : numéro et nom de rue", "Numéro et rue", "Address", "Street",
    ),
    "address_line2": _titles(
        "Complément", "Complément d'adresse", "Complément adresse", "Adresse 2",
        "Adresse ligne 2", "Bâtiment", "Lieu-dit", "Address line 2",
    ),
    "postcode": _titles("CP", "C.P.", "Code postal", "Code_postal", "Codepostal", "Zip",
                        "Postal code", "Postcode"),
    "city": _titles("Ville", "Commune", "Localité", "City", "Town"),
    "country": _titles("Pays", "Country"),
    "birth_date": _titles(
        "Date de naissance", "Naissance", "Date naissance", "Né le", "Née le", "Né(e) le",
        "DDN", "Date de naissance complète", "Date de naissance de l'adhérent",
        "Birth date", "Birthdate", "Date of birth",
    ),
    "tags": _titles("Étiquettes", "Étiquette", "Tags", "Groupes", "Groupe", "Mots-clés",
                    "Catégories"),
    "notes": _titles("Notes", "Note", "Remarques", "Remarque", "Commentaire", "Commentaires",
                     "Observations", "Informations", "Infos"),
    "membership_type": _titles(
        "Type", "Formule", "Type d'adhésion", "Type adhésion", "Formule d'adhésion",
        "Type de cotisation", "Catégorie d'adhésion", "Type de membre", "Cotisation type",
    ),
    "joined_on": _titles(
        "Date d'adhésion", "Adhésion", "Date adhésion", "Date de l'adhésion",
        "Date d'inscription", "Inscription", "Date", "Date d'entrée", "Membre depuis",
        "Date de début", "Début", "Date de la commande",
    ),
    "amount": _titles(
        "Montant", "Cotisation", "Montant adhésion", "Montant de l'adhésion", "Montant tarif",
        "Montant cotisation", "Montant payé", "Montant réglé", "Somme", "Prix", "Amount",
    ),
    "discount": _titles("Montant code promo", "Réduction", "Remise"),
    "paid": _titles(
        "Payé", "Payée", "Réglé", "Règlement", "Date de paiement", "Date de règlement",
        "Paiement", "Cotisation payée", "À jour de cotisation", "Statut de la commande",
        "Date paiement", "Paid", "Payé le", "Payée le", "Réglé le", "Date du paiement",
        "Date du règlement", "Encaissé le",
    ),
    "payment_method": _titles(
        "Moyen de paiement", "Mode de paiement", "Mode de règlement", "Moyen de règlement",
        "Paiement par", "Type de paiement", "Payment method",
    ),
    "payment_reference": _titles(
        "Référence commande", "Numéro de chèque", "N° de chèque", "Référence paiement",
        "Référence du paiement", "Référence",
    ),
    IGNORE: _titles(
        "Année de naissance", "Âge", "Age", "Ligne", "Résultat", "Erreur", "Numéro de membre",
        "Pronom", "Sexe", "Civilité", "Genre", "Nationalité", "Société", "Raison sociale",
        "Code promo", "Attestation", "Reçu", "Numéro de reçu", "Carte d'adhérent",
        "Nom acheteur", "Prénom acheteur", "Nom payeur", "Prénom payeur", "Statut", "Id",
        "Rattaché à", "Membres rattachés", "Ancienneté", "Mot de passe",
    ),
}.items():  # fmt: skip
    for _name in _names:
        SYNONYMS.setdefault(_name, _key)

# Titles that contain these words, when no exact title matched.
CONTAINS: tuple[tuple[str, str], ...] = (
    ("annee de naissance", IGNORE),
    ("personne a prevenir", IGNORE),
    ("urgence", IGNORE),
    ("medecin", IGNORE),
    ("mail", "email"),
    ("telephone", "phone"),
    ("portable", "phone"),
    ("date de naissance", "birth_date"),
    ("code postal", "postcode"),
    ("complement", "address_line2"),
    ("adresse", "address_line1"),
    ("ville", "city"),
    ("commune", "city"),
)

# Columns about the buyer, when the member is someone else (a parent paying for a child):
# used only when no column about the member gives the value.
_BUYER = re.compile(r"\b(acheteur|payeur|parent|responsable legal)\b")
_SECOND = re.compile(r"\b(2|n 2|numero 2|deuxieme|second|secondaire|autre)\b")


@dataclass(frozen=True)
class Preset:
    key: str
    label: Promise
    columns: dict[str, str]  # normalised title → field (IGNORE to skip)
    signature: tuple[frozenset[str], ...]  # any of these sets of titles identifies the export


HELLOASSO = Preset(
    key="helloasso",
    label=_("HelloAsso (export of a membership campaign)"),
    columns={
        normalise_title(title): key
        for title, key in {
            # Export "Adhérents" (format up to 2021).
            "Numéro": "payment_reference",
            "Formule": "membership_type",
            "Montant adhésion": "amount",
            "Code promo": IGNORE,
            "Statut": "paid",
            "Moyen de paiement": "payment_method",
            "Nom": "last_name",
            "Prénom": "first_name",
            "Société": IGNORE,
            "Date": "joined_on",
            "Email": "email",
            "Date de naissance": "birth_date",
            "Attestation": IGNORE,
            "Reçu": IGNORE,
            "Numéro de reçu": IGNORE,
            "Carte d'adhérent": IGNORE,
            "Nom acheteur": IGNORE,
            "Prénom acheteur": IGNORE,
            "Adresse acheteur": "address_line1",
            "Code Postal acheteur": "postcode",
            "Ville acheteur": "city",
            "Pays acheteur": "country",
            # Export of the orders of a campaign (format since 2021).
            "Référence commande": "payment_reference",
            "Date de la commande": "joined_on",
            "Statut de la commande": "paid",
            "Nom adhérent": "last_name",
            "Prénom adhérent": "first_name",
            "Nom payeur": IGNORE,
            "Prénom payeur": IGNORE,
            "Email payeur": "email",
            "Raison sociale": IGNORE,
            "Tarif": "membership_type",
            "Montant tarif": "amount",
            "Montant code promo": "discount",
        }.items()
    },
    signature=(
        frozenset(_titles("Référence commande", "Statut de la commande")),
        frozenset(_titles("Nom adhérent", "Email payeur")),
        frozenset(_titles("Formule", "Montant adhésion")),
    ),
)

PAHEKO = Preset(
    key="paheko",
    label=_("Paheko (export of the member list)"),
    columns={
        normalise_title(title): key
        for title, key in {
            "Numéro de membre": IGNORE,
            "Numéro": IGNORE,
            "Pronom": IGNORE,
            "Nom & prénom": "full_name",
            "Adresse E-Mail": "email",
            "Pays": "country",
            "Adresse postale": "address_line1",
            "Code postal": "postcode",
            "Ville": "city",
            "Numéro de téléphone": "phone",
            "Inscription à la lettre d'information": IGNORE,
            "Année de naissance": IGNORE,
            "Âge": IGNORE,
            "Date de naissance complète": "birth_date",
            "Date de naissance": "birth_date",
            "Photo": IGNORE,
            # The date of first registration, not of this year's dues: the date of the
            # memberships is chosen on the mapping screen.
            "Date d'inscription": IGNORE,
            "Ancienneté": IGNORE,
            "Catégorie": "tags",
            "Rattaché à": IGNORE,
            "Membres rattachés": IGNORE,
        }.items()
    },
    signature=(
        frozenset(_titles("Nom & prénom", "Adresse E-Mail")),
        frozenset(_titles("Numéro de membre", "Nom & prénom")),
        frozenset(_titles("Numéro de membre", "Adresse E-Mail")),
    ),
)

PRESETS = {p.key: p for p in (HELLOASSO, PAHEKO)}
GENERIC = "generic"
AUTO = "auto"


def detect_preset(header: list[str]) -> str:
    titles = {normalise_title(h) for h in header}
    for preset in PRESETS.values():
        if any(signature <= titles for signature in preset.signature):
            return preset.key
    return GENERIC


def _guess(title: str, preset: Preset | None) -> tuple[str, int]:
    """(field, score) for one column title; higher scores win a field shared by columns."""
    normal = normalise_title(title)
    if not normal:
        return IGNORE, 0
    if preset is not None and normal in preset.columns:
        field = preset.columns[normal]
        return field, 0 if _BUYER.search(normal) else 10
    if normal in SYNONYMS:
        field = SYNONYMS[normal]
        score = 8
    else:
        field, score = IGNORE, 0
        for words, candidate in CONTAINS:
            if words in normal:
                field, score = candidate, 4
                break
    if field and (_BUYER.search(normal) or _SECOND.search(normal)):
        score = 1
    return field, score


def auto_mapping(header: list[str], preset_key: str = AUTO) -> tuple[dict[str, str], str]:
    """({column index: field}, preset used): the best column for each field; a field that
    takes one column only goes to the best-scored, leftmost one, the others are ignored."""
    if preset_key in (AUTO, ""):
        preset_key = detect_preset(header)
    preset = PRESETS.get(preset_key)
    guesses = [(index, *_guess(title, preset)) for index, title in enumerate(header)]
    mapping = {str(index): IGNORE for index in range(len(header))}
    taken: set[str] = set()
    for index, field, _score in sorted(guesses, key=lambda g: (-g[2], g[0])):
        if not field:
            continue
        if field in taken and not BY_KEY[field].multiple:
            continue
        if field in ("first_name", "last_name") and "full_name" in taken:
            continue
        if field == "full_name" and taken & {"first_name", "last_name"}:
            continue
        mapping[str(index)] = field
        taken.add(field)
    return mapping, preset_key


def mapping_problems(mapping: dict[str, str], header: list[str]) -> list[str]:
    """What is wrong with a mapping, in words (empty when it can be used)."""
    problems = []
    used: dict[str, list[str]] = {}
    for index, field in mapping.items():
        if field and field in BY_KEY:
            position = int(index)
            used.setdefault(field, []).append(header[position] if position < len(header) else "")
    for field, columns in used.items():
        if len(columns) > 1 and not BY_KEY[field].multiple:
            problems.append(
                str(
                    _("Several columns go to “%(field)s” (%(columns)s): keep one.")
                    % {"field": BY_KEY[field].label, "columns": ", ".join(columns)}
                )
            )
    if "full_name" in used and used.keys() & {"first_name", "last_name"}:
        problems.append(
            str(
                _(
                    "A column holds the whole name and others the last or first name: keep "
                    "either the whole name or the separate columns."
                )
            )
        )
    if not used.keys() & {"last_name", "first_name", "full_name", "email"}:
        problems.append(
            str(
                _(
                    "Choose at least the column of the last name, of the whole name or of "
                    "the e-mail."
                )
            )
        )
    return problems
