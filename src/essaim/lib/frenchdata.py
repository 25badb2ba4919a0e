"""Deterministic, realistic French contact data for the demo and the benchmarks.

Names with accents and compound forms, real communes with their postcodes, French phone
numbers, e-mail addresses that look like the ones people type. Seeded: the same seed gives
the same people, so a benchmark measures the same data every time.
"""

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass

FIRST_NAMES = (
    "Émilie Hélène Léa Chloé Zoé Inès Maëlle Noémie Anaïs Agnès Bérénice Céline Clémence "
    "Élodie Françoise Geneviève Gaëlle Irène Joëlle Léonie Mélanie Océane Renée Sévérine "
    "Solène Thérèse Valérie Véronique Marie Camille Sophie Julie Claire Nathalie Isabelle "
    "Sandrine Catherine Christine Aurélie Manon Lucie Juliette Louise Alice Rose Jeanne "
    "Margaux Pauline Sarah Amina Fatima Yasmine Nour Aïcha Mélissa Laëtitia Hanaé Lina "
    "Jérôme Stéphane Frédéric Grégoire Hervé Jérémy Joël Léon Loïc Mathéo Noël Raphaël "
    "Sébastien Théo Valéry Benoît François André René Gérard Cédric Rémi Timothée "
    "Nicolas Pierre Jean Julien Thomas Antoine Lucas Hugo Louis Arthur Paul Gabriel Karim "
    "Mehdi Youssef Omar Moussa Mamadou Ibrahim Samir Nabil Rachid Bruno Philippe Alain "
    "Michel Patrick Christophe Olivier Laurent Vincent Guillaume Maxime Adrien Baptiste "
    "Jean-Pierre Jean-Luc Marie-Claire Anne-Sophie Pierre-Yves Marie-Hélène Jean-François"
).split()

LAST_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefebvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Sanchez",
    "Gérard",
    "Nguyen",
    "Boyer",
    "Denis",
    "Lemaire",
    "Duval",
    "Joly",
    "Gautier",
    "Roger",
    "Roche",
    "Roy",
    "Noël",
    "Meyer",
    "Lucas",
    "Meunier",
    "Jean",
    "Perez",
    "Marchand",
    "Dufour",
    "Blanchard",
    "Barbier",
    "Brun",
    "Dumas",
    "Brunet",
    "Schmitt",
    "Leroux",
    "Colin",
    "Fernandez",
    "Pierre",
    "Renard",
    "Arnaud",
    "Rolland",
    "Caron",
    "Aubert",
    "Giraud",
    "Leclerc",
    "Vidal",
    "Bourgeois",
    "Renaud",
    "Lemoine",
    "Picard",
    "Gaillard",
    "Philippe",
    "Leclercq",
    "Lacroix",
    "Fabre",
    "Dupuis",
    "Olivier",
    "Rodriguez",
    "Da Silva",
    "Hoarau",
    "Payet",
    "Benali",
    "Haddad",
    "Bensaïd",
    "Traoré",
    "Diallo",
    "Koné",
    "Ndiaye",
    "Cissé",
    "Mendy",
    "Le Goff",
    "Le Gall",
    "Le Roux",
    "Kerbrat",
    "Quéméner",
    "Le Bihan",
    "Ménard",
    "Lévêque",
    "Bégué",
    "Gaëtan",
    "Hébert",
    "Prévost",
    "Bénard",
    "Séguin",
    "Lebœuf",
    "Cœur",
    "Désiré",
    "Évrard",
    "Étienne",
    "Élie",
    "Pélissier",
    "Thébault",
    "Dupré",
    "Lefèbvre",
    "Bouchard",
    "Charpentier",
    "Rivière",
    "Besnard",
    "Poirier",
    "Hamel",
    "Tessier",
    "Chauvin",
    "d'Arvor",
    "De La Fontaine",
    "Saint-Martin",
    "Van der Berg",
    "O'Brien",
)

COMMUNES = (
    ("Paris", "75011"),
    ("Paris", "75018"),
    ("Paris", "75020"),
    ("Marseille", "13005"),
    ("Lyon", "69003"),
    ("Lyon", "69007"),
    ("Toulouse", "31000"),
    ("Nice", "06000"),
    ("Nantes", "44000"),
    ("Strasbourg", "67000"),
    ("Montpellier", "34000"),
    ("Bordeaux", "33000"),
    ("Lille", "59000"),
    ("Rennes", "35000"),
    ("Reims", "51100"),
    ("Saint-Étienne", "42000"),
    ("Le Havre", "76600"),
    ("Toulon", "83000"),
    ("Grenoble", "38000"),
    ("Dijon", "21000"),
    ("Angers", "49000"),
    ("Nîmes", "30000"),
    ("Villeurbanne", "69100"),
    ("Clermont-Ferrand", "63000"),
    ("Le Mans", "72000"),
    ("Aix-en-Provence", "13100"),
    ("Brest", "29200"),
    ("Tours", "37000"),
    ("Amiens", "80000"),
    ("Limoges", "87000"),
    ("Annecy", "74000"),
    ("Perpignan", "66000"),
    ("Besançon", "25000"),
    ("Metz", "57000"),
    ("Orléans", "45000"),
    ("Rouen", "76000"),
    ("Mulhouse", "68100"),
    ("Caen", "14000"),
    ("Nancy", "54000"),
    ("Saint-Denis", "93200"),
    ("Montreuil", "93100"),
    ("Argenteuil", "95100"),
    ("Roubaix", "59100"),
    ("Tourcoing", "59200"),
    ("Avignon", "84000"),
    ("Créteil", "94000"),
    ("Poitiers", "86000"),
    ("Pau", "64000"),
    ("La Rochelle", "17000"),
    ("Bourg-en-Bresse", "01000"),
    ("Ajaccio", "20000"),
    ("Bastia", "20200"),
    ("Saint-Denis", "97400"),
    ("Fort-de-France", "97200"),
    ("Vénissieux", "69200"),
    ("Sète", "34200"),
    ("Châlons-en-Champagne", "51000"),
    ("Évry-Courcouronnes", "91000"),
    ("Saint-Malo", "35400"),
    ("Béziers", "34500"),
)

STREET_KINDS = ("rue", "avenue", "boulevard", "place", "impasse", "allée", "chemin", "quai")
STREET_NAMES = (
    "de la République",
    "Victor-Hugo",
    "Jean-Jaurès",
    "des Écoles",
    "de l'Église",
    "du Général-de-Gaulle",
    "Pasteur",
    "de la Gare",
    "des Lilas",
    "du Moulin",
    "Émile-Zola",
    "de la Paix",
    "des Acacias",
    "Gambetta",
    "Voltaire",
    "des Tilleuls",
    "de Verdun",
    "Louise-Michel",
    "Simone-Veil",
    "Aimé-Césaire",
    "des Peupliers",
    "du Château",
    "Saint-Exupéry",
    "de la Liberté",
    "des Vignes",
    "du Marché",
)
EMAIL_DOMAINS = (
    "orange.fr",
    "gmail.com",
    "free.fr",
    "laposte.net",
    "sfr.fr",
    "wanadoo.fr",
    "hotmail.fr",
    "yahoo.fr",
    "outlook.fr",
    "protonmail.com",
)


@dataclass
class FakePerson:
    first_name: str
    last_name: str
    email: str
    phone: str
    address_line1: str
    postcode: str
    city: str
    birth_date: dt.date | None


def _ascii(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.replace("œ", "oe"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in plain.lower() if c.isalnum() or c in ".-")


class FrenchPeople:
    """An endless, seeded stream of plausible French contacts."""

    def __init__(self, seed: int = 1901, email_share: float = 0.9, phone_share: float = 0.7):
        self.random = random.Random(seed)
        self.email_share = email_share
        self.phone_share = phone_share
        self.serial = 0

    def person(self) -> FakePerson:
        r = self.random
        self.serial += 1
        first = r.choice(FIRST_NAMES)
        last = r.choice(LAST_NAMES).replace("-", " ") if r.random() < 0.05 else r.choice(LAST_NAMES)
        city, postcode = r.choice(COMMUNES)
        email = ""
        if r.random() < self.email_share:
            pattern = r.randrange(4)
            local = {
                0: f"{_ascii(first)}.{_ascii(last)}",
                1: f"{_ascii(first)[0]}{_ascii(last)}",
                2: f"{_ascii(first)}{_ascii(last)}{r.randrange(1, 99)}",
                3: f"{_ascii(last)}.{_ascii(first)}",
            }[pattern]
            # The serial keeps addresses unique at 100,000 contacts, as real lists are.
            email = f"{local}.{self.serial}@{r.choice(EMAIL_DOMAINS)}"
        phone = self._phone() if r.random() < self.phone_share else ""
        birth = None
        if r.random() < 0.6:
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=r.randrange(0, 365 * 66))
        street = f"{r.randrange(1, 180)} {r.choice(STREET_KINDS)} {r.choice(STREET_NAMES)}"
        return FakePerson(
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
            address_line1=street,
            postcode=postcode,
            city=city,
            birth_date=birth,
        )

    def _phone(self) -> str:
        # Draw until phonenumbers agrees the number is valid: a demo contact must be
        # editable without the form complaining about data we made up.
        import phonenumbers

        r = self.random
        while True:
            prefix = r.choice(("+336", "+337", "+331", "+332", "+334", "+335"))
            number = prefix + "".join(str(r.randrange(10)) for _ in range(8))
            if phonenumbers.is_valid_number(phonenumbers.parse(number)):
                return number

    def many(self, count: int):
        for _ in range(count):
            yield self.person()
