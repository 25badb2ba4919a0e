import pytest
from hypothesis import given
from hypothesis import strategies as st

from essaim.mobilisation.canonical import canonical_email, email_domain
from essaim.mobilisation.departements import OTHER, departement, departement_name

local = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Jeanne.Durand@Gmail.com", "jeannedurand@gmail.com"),
        ("j.e.a.n.n.e.durand+petition@googlemail.com", "jeannedurand@gmail.com"),
        ("jeanne+velo@outlook.fr", "jeanne@outlook.fr"),
        ("jeanne+velo@laposte.net", "jeanne@laposte.net"),
        # Dots and "+" mean different mailboxes elsewhere.
        ("jean.dupont@orange.fr", "jean.dupont@orange.fr"),
        ("jean+dupont@example.org", "jean+dupont@example.org"),
        ("  JEAN@Free.FR ", "jean@free.fr"),
    ],
)
def test_canonical_rules(typed, canonical):
    assert canonical_email(typed) == canonical


@given(name=local, dots=st.lists(st.integers(min_value=0, max_value=11), max_size=4), tag=local)
def test_gmail_spellings_share_one_key(name, dots, tag):
    spelled = name
    for position in sorted(set(dots), reverse=True):
        if 0 < position < len(spelled):
            spelled = spelled[:position] + "." + spelled[position:]
    variants = [
        f"{name}@gmail.com",
        f"{spelled}@gmail.com",
        f"{spelled.upper()}+{tag}@googlemail.com",
    ]
    assert len({canonical_email(v) for v in variants}) == 1


@given(a=local, b=local)
def test_different_mailboxes_stay_different(a, b):
    if a != b:
        assert canonical_email(f"{a}@orange.fr") != canonical_email(f"{b}@orange.fr")
        assert canonical_email(f"{a}@gmail.com") != canonical_email(f"{b}@gmail.com")


@given(email=st.emails())
def test_canonical_is_idempotent(email):
    assert canonical_email(canonical_email(email)) == canonical_email(email)


def test_domain():
    assert email_domain("x@GoogleMail.com") == "gmail.com"


@pytest.mark.parametrize(
    ("postcode", "code"),
    [
        ("75011", "75"),
        ("01000", "01"),
        ("20000", "2A"),
        ("20090", "2A"),
        ("20200", "2B"),
        ("20600", "2B"),
        ("97110", "971"),
        ("97200", "972"),
        ("97300", "973"),
        ("97411", "974"),
        ("97500", "975"),
        ("97600", "976"),
        ("98000", OTHER),
        ("98800", OTHER),
        ("B-1000", OTHER),
        ("7501", OTHER),
    ],
)
def test_departement(postcode, code):
    assert departement(postcode) == code


def test_departement_names():
    assert departement_name("2A") == "Corse-du-Sud"
    assert departement_name("974") == "La Réunion"
