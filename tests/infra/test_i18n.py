"""The extension's catalogs: every message in every language, compiled."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages import frontend
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from ckanext.plusresilient import vocabularies

ROOT = Path(__file__).resolve().parents[2]
I18N = ROOT / "ckanext" / "plusresilient" / "i18n"
DOMAIN = "ckanext-plusresilient"
LANGUAGES = ("en", "it", "es", "fr", "sl", "hr", "el", "pt")


def key(msgid):
    """A message by its singular (plural messages have a tuple of ids)."""
    return msgid[0] if isinstance(msgid, (tuple, list)) else msgid


def text(string):
    """Plural translations as one tuple, singular ones as they are."""
    return tuple(string) if isinstance(string, (tuple, list)) else string


def translated(string) -> bool:
    return all(string) if isinstance(string, (tuple, list)) else bool(string)


def extracted_msgids() -> set[str]:
    """What `python setup.py extract_messages` would put in the template,
    read with the same babel.cfg."""
    with open(ROOT / "babel.cfg") as mapping:
        method_map, options_map = frontend.parse_mapping_cfg(mapping)
    # N_ is among babel's default keywords: it marks the scorer's fix texts,
    # stored in English and translated by the report page
    keywords = {"_": None, "N_": None, "n_": (1, 2), "ngettext": (1, 2), "ungettext": (1, 2)}
    msgids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        msgids.add(message[0] if isinstance(message, tuple) else message)
    return msgids


@pytest.fixture(scope="module")
def msgids():
    found = extracted_msgids()
    assert len(found) > 50, "extraction found too little: is babel.cfg right?"
    return found


def test_template_is_current(msgids):
    with open(I18N / f"{DOMAIN}.pot", "rb") as pot:
        template = {key(m.id) for m in read_po(pot) if m.id}
    assert msgids - template == set(), "run python setup.py extract_messages"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_catalog_misses_a_msgid(msgids, lang):
    with open(I18N / lang / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as po:
        catalog = read_po(po)
    missing = sorted(msgids - {key(m.id) for m in catalog if m.id})
    assert missing == [], f"{lang} misses {missing}"
    if lang != "en":
        untranslated = sorted(key(m.id) for m in catalog
                              if key(m.id) in msgids and (not translated(m.string) or m.fuzzy))
        assert untranslated == [], f"{lang} leaves untranslated or fuzzy: {untranslated}"


def test_the_english_catalog_says_what_the_source_says():
    """The source is English: an English msgstr that differs from its msgid
    is a guess of update_catalog kept by mistake (e.g. "Use case form" for
    "No use cases found")."""
    with open(I18N / "en" / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as po:
        changed = [(m.id, m.string) for m in read_po(po)
                   if m.id and translated(m.string) and text(m.string) != text(m.id)]
    assert changed == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalog_matches_its_po(lang):
    folder = I18N / lang / "LC_MESSAGES"
    with open(folder / f"{DOMAIN}.po", "rb") as po:
        source = {key(m.id): text(m.string) for m in read_po(po)
                  if m.id and translated(m.string) and not m.fuzzy}
    with open(folder / f"{DOMAIN}.mo", "rb") as mo:
        compiled = {key(m.id): text(m.string) for m in read_mo(mo) if m.id}
    assert compiled == source, "run python setup.py compile_catalog"


def test_placeholders_survive_translation():
    for lang in LANGUAGES:
        with open(I18N / lang / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as po:
            for message in read_po(po):
                if message.id and translated(message.string):
                    ids, strings = "|".join(message.id if isinstance(message.id, (tuple, list)) else [message.id]), \
                        "|".join(text(message.string) if isinstance(message.string, (tuple, list)) else [message.string])
                    for placeholder in ("{value}", "{field}", "{allowed}", "{region}", "{country}",
                                        "{start}", "{end}", "{names}", "{error}", "{problem}",
                                        "{count}", "{share}", "{portals}", "{countries}", "{scored}",
                                        "{total}", "{title}", "{failed}", "{minutes}"):
                        assert (placeholder in ids) == (placeholder in strings), (
                            lang, message.id, message.string)


def test_vocabulary_labels_cover_every_language():
    """Vocabulary terms are translated in their data files, not in catalogs."""
    for name in vocabularies.names():
        for term in vocabularies.get(name).terms:
            assert set(LANGUAGES) <= set(term.labels), (name, term.code)
