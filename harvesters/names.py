"""The URL name of a newly harvested dataset: its title, readable, in ASCII.

The network's portals publish in Greek, Cyrillic (Serbian, Montenegrin,
Macedonian) and Latin with diacritics (Slovene, Croatian, Italian, French,
Spanish, Portuguese). CKAN names allow only ``[a-z0-9_-]``: ckanext-harvest's
own ``_gen_new_name`` drops whatever is not ASCII, so ``občinah`` became
``obinah`` and a Greek title became ``__``, then ``__1``, ``__2``. Here the
title is transliterated first, with AnyAscii (ISC licence, no dependencies,
romanisations per script: modern Greek ``Ελληνική Στατιστική Αρχή`` gives
``elliniki-statistiki-archi``, Serbian ``Ђурђевак`` gives ``djurdjevak``).

A name is taken when any package holds it, deleted ones included: the
``package.name`` column is unique whatever the state, even though CKAN's
validator looks at active ones only. A taken name gets the remote identifier
appended (the platform's own id, or a short digest of the global identity),
never a counter: a counter depends on the order datasets arrive, so the same
dataset would get another name on another portal or after a re-harvest, and
``…1`` says nothing about which dataset it is.

Only new datasets are named here; a dataset that exists keeps its name
(``base.py``'s update path never sends one).
"""
from __future__ import annotations

import hashlib
import re
from typing import Iterator

from anyascii import anyascii

__all__ = ["MIN_LENGTH", "MAX_LENGTH", "readable_slug", "new_dataset_name", "name_taken"]

#: CKAN's limits on a package name (``ckan.model.PACKAGE_NAME_MAX_LENGTH``).
MIN_LENGTH = 2
MAX_LENGTH = 100
#: Names CKAN's ``name_validator`` refuses whatever the database holds.
RESERVED = frozenset({"new", "edit", "search"})
#: A remote id longer than this (once slugged) makes an unreadable name: the
#: digest of the identity is shorter and as stable.
_MAX_SUFFIX = 40
#: Hex digits of the identity's digest: 8 first (a collision in 4 billion),
#: longer only if that name too is taken.
_DIGEST_LENGTHS = (8, 12, 16, 24, 32, 40)

_NOT_NAME = re.compile(r"[^a-z0-9]+")
# AnyAscii goes letter by letter, so Greek's two-letter vowels come out as
# "oy", "ey": ELOT 743 (the Greek standard, as on Greek road signs) reads
# ου as "ou", and αυ/ευ/ηυ as "af"/"ef"/"if" before a voiceless consonant or
# at a word's end, else "av"/"ev"/"iv" (τουρισμού, Ευρώπη: tourismou, evropi).
_GREEK_OU = re.compile("ο[υύ]|όυ", re.IGNORECASE)
_GREEK_VOWEL_U = re.compile("([αεηάέή])[υύ]", re.IGNORECASE)
_GREEK_VOICELESS = frozenset("θκξπσςτφχψ")


def _greek_digraphs(text: str) -> str:
    """Greek two-letter vowels written as ELOT 743 writes them; the rest of
    the text is left to AnyAscii."""
    def vowel_u(match: re.Match) -> str:
        after = text[match.end():match.end() + 1].lower()
        voiceless = not after.isalpha() or after in _GREEK_VOICELESS
        return match.group(1) + ("f" if voiceless else "v")

    text = _GREEK_OU.sub("ou", text)
    return _GREEK_VOWEL_U.sub(vowel_u, text)


def readable_slug(text: str | None, max_length: int = MAX_LENGTH) -> str:
    """``text`` transliterated to ASCII, lower case, words joined by ``-``,
    cut at a word boundary to ``max_length``; ``""`` when nothing is left.

    Pure: no database, so it can be used (and tested) anywhere.
    """
    if not text:
        return ""
    slug = _NOT_NAME.sub("-", anyascii(_greek_digraphs(str(text))).lower()).strip("-")
    if len(slug) <= max_length:
        return slug
    # the whole words that fit (slug[max_length] is "-" when the last fits
    # exactly); a first word longer than the limit, or a cut that would keep
    # less than half, is cut mid-word instead
    head = slug[:max_length + 1]
    words = head.rsplit("-", 1)[0] if "-" in head else ""
    if len(words) < max_length // 2:
        words = slug[:max_length]
    return words.strip("-")


def name_taken(name: str) -> bool:
    """Whether any package (dataset, harvest source, … in any state) holds
    ``name``, or CKAN refuses it anyway."""
    if name in RESERVED:
        return True
    from ckan import model  # only here: readable_slug works without CKAN

    query = model.Session.query(model.Package.id).filter(model.Package.name == name)
    return model.Session.query(query.exists()).scalar()


def _remote_suffix(remote_id: str | None) -> str:
    """The source's own id as name characters: the last path segment of a
    URI (a DCAT identifier is often one), ``""`` when unusable."""
    if not remote_id:
        return ""
    text = str(remote_id).strip()
    if "://" in text:
        path = text.split("://", 1)[1].split("?", 1)[0].rstrip("/#")
        text = re.split(r"[/#]", path)[-1] if "/" in path or "#" in path else ""
    suffix = readable_slug(text, max_length=MAX_LENGTH)
    return suffix if 0 < len(suffix) <= _MAX_SUFFIX else ""


def _digests(identifier: str) -> Iterator[str]:
    digest = hashlib.sha256(str(identifier).encode("utf-8")).hexdigest()
    for length in _DIGEST_LENGTHS:
        yield digest[:length]


def _joined(base: str, suffix: str) -> str:
    """``base-suffix`` within MAX_LENGTH: the title gives way, the suffix
    (what makes the name unique) is kept whole."""
    if not base:
        return suffix
    room = MAX_LENGTH - len(suffix) - 1
    head = readable_slug(base, max_length=room) if room >= MIN_LENGTH else ""
    return f"{head}-{suffix}" if head else suffix


def _candidates(title: str, remote_id: str, identifier: str) -> Iterator[str]:
    base = readable_slug(title)
    if len(base) >= MIN_LENGTH:
        yield base
    suffix = _remote_suffix(remote_id)
    if suffix and suffix != base:
        yield _joined(base, suffix) if len(base) >= MIN_LENGTH else suffix
    for digest in _digests(identifier or remote_id or title):
        yield _joined(base if len(base) >= MIN_LENGTH else "dataset", digest)


def new_dataset_name(title: str, remote_id: str, identifier: str) -> str:
    """The URL name for a NEW harvested dataset: the readable title, else
    the title with the remote id, else the title with a digest of the
    identity; the first that no package holds (:func:`name_taken`).

    Every candidate is made of the dataset's own title, id or identity, so
    a suffix says which dataset it is, not how many came before it. If even
    the longest digest is taken, that name is returned and CKAN's "That URL
    is already in use" becomes the harvest object's error.
    """
    name = ""
    for name in _candidates(title, remote_id, identifier):
        if len(name) >= MIN_LENGTH and not name_taken(name):
            return name
    return name
