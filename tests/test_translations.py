"""The French catalog is complete, faithful to its placeholders, compiled, and used.

French is the default interface language. These tests fail when:
- an entry of locale/fr/LC_MESSAGES/django.po is untranslated or fuzzy;
- a translation loses, renames or adds a %-placeholder of its msgid (every plural form);
- the committed django.mo no longer matches django.po (someone forgot compilemessages);
- a string marked for translation in the code or the templates is missing from django.po
  (someone forgot `make messages`). With GNU gettext installed this runs Django's own
  makemessages into a temporary copy; without it, a pure-Python scan does the same job.
  In CI (the CI environment variable is set) gettext is required: the check never degrades.

To fix a failure: `make messages`, translate the new entries in django.po, `make messages` again.
"""

import ast
import gettext
import os
import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.utils import is_ignored_path
from django.test import override_settings
from django.urls import reverse
from django.utils.translation.template import templatize

import essaim

SOURCE_DIR = Path(essaim.__file__).resolve().parent
LOCALE_DIR = SOURCE_DIR / "locale"
PO_PATH = LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# What `make messages` passes to makemessages, and what makemessages always ignores.
IGNORE_PATTERNS = ["*/migrations/*", "CVS", ".*", "*~", "*.pyc"]
EXTENSIONS = {".html", ".txt", ".py"}
FRENCH_PLURAL_FORMS = "nplurals=2; plural=(n > 1);"


def _catalog() -> polib.POFile:
    assert PO_PATH.exists(), f"{PO_PATH} is missing: run `make messages`."
    return polib.pofile(str(PO_PATH))


def _live(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete]


def _key(msgctxt, msgid, msgid_plural) -> tuple:
    return (msgctxt or None, msgid, msgid_plural or None)


def _show(key: tuple) -> str:
    ctxt, msgid, plural = key
    text = repr(msgid)
    if plural:
        text += f" / plural {plural!r}"
    if ctxt:
        text += f" (context {ctxt!r})"
    return text


# --- The catalog itself -------------------------------------------------------------------


def test_the_catalog_is_where_django_looks_for_it():
    assert str(LOCALE_DIR) in [str(Path(p).resolve()) for p in settings.LOCALE_PATHS]
    assert settings.LANGUAGE_CODE == "fr"


def test_the_header_declares_french_plurals():
    po = _catalog()
    assert not po.metadata_is_fuzzy, "The header of django.po is fuzzy: msgfmt would drop it."
    assert po.metadata.get("Language") == "fr"
    assert po.metadata.get("Plural-Forms") == FRENCH_PLURAL_FORMS
    assert "charset=UTF-8" in po.metadata.get("Content-Type", "")


def test_every_entry_is_translated_and_none_is_fuzzy():
    po = _catalog()
    untranslated = [e for e in _live(po) if not e.translated() and "fuzzy" not in e.flags]
    fuzzy = [e for e in _live(po) if "fuzzy" in e.flags]
    problems = [
        f"untranslated: {_show(_key(e.msgctxt, e.msgid, e.msgid_plural))}" for e in untranslated
    ]
    problems += [f"fuzzy: {_show(_key(e.msgctxt, e.msgid, e.msgid_plural))}" for e in fuzzy]
    if problems:
        pytest.fail(
            f"{len(problems)} entries of {PO_PATH} need a translation (then `make messages`):\n"
            + "\n".join(problems),
            pytrace=False,
        )


# A printf-style conversion as Python's % operator reads it: %(name)s, %d, %-5.2f, %%...
PLACEHOLDER_RE = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?"  # %(name)
    r"[#0 +\-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"  # flags, width, precision, length
    r"(?P<conv>[diouxXeEfFgGcrsa%])"
)
NAMED_PLACEHOLDER_RE = re.compile(r"%\(\w+\)[#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def placeholders(text: str) -> tuple[frozenset, tuple]:
    """Named placeholders as a set (a translation may repeat or reorder them), positional
    ones as an ordered tuple (their order is their meaning). %% is a literal, not a slot."""
    named, positional = set(), []
    for match in PLACEHOLDER_RE.finditer(text):
        conv = match["conv"]
        if conv == "%":
            continue
        if match["name"] is not None:
            named.add((match["name"], conv))
        else:
            positional.append(conv)
    return frozenset(named), tuple(positional)


def _is_formatted(entry: polib.POEntry) -> bool:
    return "python-format" in entry.flags or bool(
        NAMED_PLACEHOLDER_RE.search(entry.msgid + (entry.msgid_plural or ""))
    )


def _fmt(found: tuple[frozenset, tuple]) -> str:
    named, positional = found
    shown = sorted(f"%({n}){c}" for n, c in named) + [f"%{c}" for c in positional]
    return "{" + ", ".join(shown) + "}"


def test_translations_keep_the_placeholders_of_their_msgid():
    problems = []
    for entry in _live(_catalog()):
        if not entry.translated() or not _is_formatted(entry):
            continue
        if entry.msgid_plural:
            singular, plural = placeholders(entry.msgid), placeholders(entry.msgid_plural)
            for index, text in sorted(entry.msgstr_plural.items()):
                found = placeholders(text)
                # Form 0 covers n = 0 and 1 in French: it may follow the singular or the plural.
                allowed = [singular, plural] if int(index) == 0 else [plural]
                if found not in allowed:
                    problems.append(
                        f"{entry.msgid!r} msgstr[{index}] {text!r}: has {_fmt(found)}, "
                        f"expected {' or '.join(_fmt(a) for a in allowed)}"
                    )
        else:
            expected, found = placeholders(entry.msgid), placeholders(entry.msgstr)
            if found != expected:
                problems.append(
                    f"{entry.msgid!r} → {entry.msgstr!r}: "
                    f"has {_fmt(found)}, expected {_fmt(expected)}"
                )
    if problems:
        pytest.fail("Placeholders changed in translation:\n" + "\n".join(problems), pytrace=False)


def test_placeholder_parser():
    assert placeholders("%(name)s has %(count)d") == (
        frozenset({("name", "s"), ("count", "d")}),
        (),
    )
    assert placeholders("100%% sure, %s of %d") == (frozenset(), ("s", "d"))
    # A bare "%" before a space and a letter is read as a conversion, as Python would.
    assert placeholders("66 % des dons") == (frozenset(), ("d",))


# --- The compiled catalog -----------------------------------------------------------------


def _expected_mo_catalog(po: polib.POFile) -> dict:
    """What msgfmt puts in the .mo: translated, non-fuzzy entries, keyed as gettext reads them."""
    expected = {}
    for entry in _live(po):
        if "fuzzy" in entry.flags or not entry.translated():
            continue
        msgid = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            for index, text in entry.msgstr_plural.items():
                expected[(msgid, int(index))] = text
        else:
            expected[msgid] = entry.msgstr
    return expected


def test_the_committed_mo_matches_the_po():
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run `make messages` (it is committed)."
    expected = _expected_mo_catalog(_catalog())
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    actual = {k: v for k, v in compiled._catalog.items() if k != ""}
    missing = sorted(str(k) for k in expected.keys() - actual.keys())
    extra = sorted(str(k) for k in actual.keys() - expected.keys())
    changed = sorted(str(k) for k in expected.keys() & actual.keys() if expected[k] != actual[k])
    if missing or extra or changed:
        pytest.fail(
            "django.mo is stale: run `make messages` (or compilemessages -l fr).\n"
            f"not compiled yet: {missing[:20]}\nno longer in the .po: {extra[:20]}\n"
            f"translation changed: {changed[:20]}",
            pytrace=False,
        )
    assert compiled.plural(0) == 0 and compiled.plural(1) == 0 and compiled.plural(2) == 1


def test_git_does_not_ignore_the_catalog():
    git = shutil.which("git")
    if git is None or not (SOURCE_DIR.parents[1] / ".git").exists():
        pytest.skip("not a git checkout")
    for path in (PO_PATH, MO_PATH):
        result = subprocess.run([git, "check-ignore", "-q", str(path)], cwd=SOURCE_DIR, check=False)
        assert result.returncode == 1, f"{path} is git-ignored: it must be committed."


# --- Every marked string is in the catalog ------------------------------------------------


def _ignored(path: Path) -> bool:
    """As makemessages decides, on the path relative to the directory it walks."""
    return is_ignored_path(os.path.relpath(path, SOURCE_DIR), IGNORE_PATTERNS)


def _copy_sources(destination: Path) -> Path:
    """The translatable files of the package, without locale/ (makemessages writes there)."""

    def ignore(directory, names):
        skipped = set()
        for name in names:
            path = Path(directory) / name
            unwanted_file = path.is_file() and path.suffix not in EXTENSIONS
            if name in {"locale", "__pycache__"} or unwanted_file or _ignored(path):
                skipped.add(name)
        return skipped

    target = destination / "essaim"
    shutil.copytree(SOURCE_DIR, target, ignore=ignore)
    return target


def extract_with_makemessages(workdir: Path) -> set[tuple]:
    """Run Django's makemessages (xgettext) over a copy of the sources, as `make messages` does."""
    root = _copy_sources(workdir)
    (root / "locale").mkdir()
    previous = Path.cwd()
    try:
        os.chdir(root)
        with override_settings(LOCALE_PATHS=[str(root / "locale")]):
            call_command(
                "makemessages",
                locale=["fr"],
                no_location=True,
                no_obsolete=True,
                ignore_patterns=["*/migrations/*"],
                verbosity=0,
            )
    finally:
        os.chdir(previous)
    fresh = polib.pofile(str(root / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    return {_key(e.msgctxt, e.msgid, e.msgid_plural) for e in fresh if not e.obsolete and e.msgid}


# xgettext's default Python keywords plus those makemessages adds: name -> (context, singular,
# plural) argument positions.
KEYWORDS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "ugettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "dgettext": (None, 1, None),
    "dcgettext": (None, 1, None),
    "ngettext": (None, 0, 1),
    "ungettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "dngettext": (None, 1, 2),
    "dcngettext": (None, 1, 2),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


def _keys_from_call(name: str, args: list) -> tuple | None:
    ctxt_at, singular_at, plural_at = KEYWORDS[name]
    needed = [i for i in (ctxt_at, singular_at, plural_at) if i is not None]
    if len(args) <= max(needed) or any(not isinstance(args[i], str) for i in needed):
        return None
    return _key(
        args[ctxt_at] if ctxt_at is not None else None,
        args[singular_at],
        args[plural_at] if plural_at is not None else None,
    )


def _python_strings(source: str, filename: str) -> set[tuple]:
    found = set()
    for node in ast.walk(ast.parse(source, filename=filename)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in KEYWORDS:
            continue
        args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
        key = _keys_from_call(name, args)
        if key and key[1]:
            found.add(key)
    return found


_LITERAL = r"""u?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
# The calls Django's templatize() writes for {% translate %}, {% blocktranslate %} and _("…").
_TEMPLATIZED_CALL_RE = re.compile(
    rf"(?<![\w.])(?P<name>gettext|pgettext|ngettext|npgettext|_)\(\s*"
    rf"(?P<args>{_LITERAL}(?:\s*,\s*{_LITERAL})*)\s*(?:,\s*count\s*)?\)"
)


def _template_strings(source: str, filename: str) -> set[tuple]:
    found = set()
    for match in _TEMPLATIZED_CALL_RE.finditer(templatize(source, origin=filename)):
        args = list(ast.literal_eval(f"[{match['args']}]"))
        key = _keys_from_call(match["name"], args)
        if key and key[1]:
            found.add(key)
    return found


def extract_with_python() -> set[tuple]:
    """The same extraction without GNU gettext: ast for Python, templatize() for templates."""
    found = set()
    for directory, dirnames, filenames in os.walk(SOURCE_DIR):
        dirnames[:] = sorted(
            d for d in dirnames if d != "locale" and not _ignored(Path(directory) / d)
        )
        for filename in sorted(filenames):
            path = Path(directory) / filename
            if path.suffix not in EXTENSIONS or _ignored(path):
                continue
            source = path.read_text(encoding="utf-8")
            if path.suffix == ".py":
                found |= _python_strings(source, str(path))
            else:
                found |= _template_strings(source, str(path))
    return found


def _xgettext_available() -> bool:
    return shutil.which("xgettext") is not None and shutil.which("msguniq") is not None


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> tuple[str, set[tuple]]:
    if _xgettext_available():
        return "makemessages", extract_with_makemessages(tmp_path_factory.mktemp("messages"))
    if os.environ.get("CI"):
        pytest.fail("CI must install GNU gettext (xgettext): the catalog check cannot degrade.")
    return "the pure-Python scan", extract_with_python()


def test_every_marked_string_is_in_the_catalog(extracted):
    how, fresh = extracted
    catalog = {_key(e.msgctxt, e.msgid, e.msgid_plural) for e in _live(_catalog())}
    missing = sorted(fresh - catalog, key=lambda k: (k[1], k[2] or "", k[0] or ""))
    if missing:
        pytest.fail(
            f"{len(missing)} strings found by {how} are not in django.po: run `make messages` "
            "and translate them.\n" + "\n".join(_show(k) for k in missing),
            pytrace=False,
        )
    assert len(fresh) > 100, f"{how} found almost nothing: is the extraction broken?"


def test_the_python_scan_agrees_with_makemessages(extracted):
    """Keeps the fallback honest: where both run, they find the same strings."""
    how, fresh = extracted
    if how != "makemessages":
        pytest.skip("GNU gettext is not installed here (it is in CI)")
    scanned = extract_with_python()
    assert scanned == fresh, (
        f"only makemessages: {sorted(fresh - scanned)[:20]}\n"
        f"only the scan: {sorted(scanned - fresh)[:20]}"
    )


# --- The pages are in French --------------------------------------------------------------


def _french(response) -> str:
    content = response.content.decode()
    assert '<html lang="fr"' in content
    return content


def test_the_login_page_is_in_french(client):
    content = _french(client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="fr"))
    assert "Se connecter" in content
    assert "Aller au contenu" in content
    assert "Skip to content" not in content


def test_the_404_page_is_in_french(client):
    response = client.get("/nowhere/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 404
    content = _french(response)
    assert "Page introuvable" in content
    assert "Page not found" not in content


def test_the_contact_list_is_in_french(client_for, presidente, association, person):
    client = client_for(presidente)
    url = reverse("people:list", kwargs={"association_slug": association.slug})
    content = _french(client.get(url, HTTP_ACCEPT_LANGUAGE="fr"))
    assert "Contacts" in content
    assert "Ajouter un contact" in content
    assert "Add a contact" not in content
    assert "Se déconnecter" in content
