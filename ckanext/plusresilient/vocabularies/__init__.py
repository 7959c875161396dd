"""The controlled vocabularies of the +RESILIENT portal.

Every vocabulary lives in a YAML file next to this module (one file per
vocabulary, the file stem is its name). Schemas, facets, templates and the
harvesters all read them through this module, so a label or a URI is fixed
in one place only.

This module deliberately imports nothing from CKAN: the vocabularies are
plain data, and keeping the loader free of the CKAN stack lets the harvesters,
the command line and the unit tests use it without a configured CKAN.

File format::

    name: data_themes                  # must equal the file stem
    title: {en: ..., it: ..., ...}     # all of LANGUAGES
    scheme_uri: http://...             # optional: the authority table
    terms:
      - code: AGRI                     # stable ASCII identifier
        uri: http://...                # optional, unique in the file
        aliases: [GR]                  # optional: other names read as this code
        label: {en: ..., it: ..., ...} # all of LANGUAGES
        kind: soft                     # any other key ends up in Term.extra
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterator, Mapping

import yaml

__all__ = [
    "LANGUAGES",
    "VOCABULARY_DIR",
    "Term",
    "Vocabulary",
    "names",
    "get",
    "regions_of",
    "load_file",
    "load_dir",
]

#: The portal's interface languages: every label must exist in all of them,
#: because a facet or a form that falls back to English half-way through a
#: list looks broken to the partner regions' users.
LANGUAGES: tuple[str, ...] = ("en", "it", "es", "fr", "sl", "hr", "el", "pt")

#: The language used when a label is missing in the requested one.
DEFAULT_LANGUAGE = "en"

#: Where the shipped vocabulary files live.
VOCABULARY_DIR: Path = Path(__file__).resolve().parent

# Codes end up in URLs, Solr fields and CSV exports: keep them boring.
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
# Keys of a term that are not copied into Term.extra.
_TERM_KEYS = frozenset({"code", "uri", "label", "aliases"})
_TOP_KEYS = frozenset({"name", "title", "scheme_uri", "terms"})


def _base_language(lang: str) -> str:
    """Reduce a locale to its language: pt_BR, pt-BR and PT all give pt."""
    return re.split(r"[_\-@.]", lang.strip(), maxsplit=1)[0].lower()


def _pick(labels: Mapping[str, str], lang: str, fallback: str) -> str:
    """The label in `lang`, else in its base language, else in English.

    CKAN passes locales such as "pt_BR" or "sr_Latn"; the vocabularies only
    carry base languages, so the locale is reduced before giving up.
    """
    if lang:
        if labels.get(lang):
            return labels[lang]
        base = _base_language(lang)
        if labels.get(base):
            return labels[base]
    return labels.get(DEFAULT_LANGUAGE) or fallback


def _normalise_uri(uri: str) -> str:
    """Compare URIs the way harvested metadata writes them.

    Remote catalogues often swap http for https or add a trailing slash; those
    are still the same concept, so lookups ignore both differences.
    """
    uri = uri.strip()
    lowered = uri.lower()
    if lowered.startswith("https://"):
        uri = "http://" + uri[len("https://"):]
    return uri.rstrip("/")


@dataclass(frozen=True)
class Term:
    """One concept of a vocabulary.

    `extra` keeps every other key of the YAML term (kind, country, iso3,
    network, open, url, scheme...) so that adding a key to a file needs no
    change here.

    `aliases` are other names of the concept that input may use and records
    never store: Greece is ``EL`` in the EU's tables and NUTS, ``GR`` in
    ISO 3166, which portals, API clients and harvest sources write as often.
    """

    code: str
    labels: Mapping[str, str]
    uri: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    def __hash__(self) -> int:
        # The mappings are not hashable; code and uri identify a term.
        return hash((self.code, self.uri))

    def label(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The label in `lang`, falling back to its base language, then en."""
        return _pick(self.labels, lang, self.code)


@dataclass(frozen=True)
class Vocabulary:
    """A named, ordered list of terms (the file order is the display order)."""

    name: str
    title: Mapping[str, str]
    scheme_uri: str | None
    terms: tuple[Term, ...]
    _by_code: Mapping[str, Term] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _by_uri: Mapping[str, Term] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _by_lower_code: Mapping[str, Term] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        # Indexes are built once: facets look labels up for every result row.
        object.__setattr__(
            self, "_by_code", MappingProxyType({t.code: t for t in self.terms})
        )
        object.__setattr__(
            self,
            "_by_uri",
            MappingProxyType(
                {_normalise_uri(t.uri): t for t in self.terms if t.uri}
            ),
        )
        object.__setattr__(
            self,
            "_by_lower_code",
            MappingProxyType({
                name.lower(): t for t in self.terms for name in (t.code, *t.aliases)
            }),
        )

    def __hash__(self) -> int:
        return hash((self.name, self.terms))

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def codes(self) -> list[str]:
        """The codes in file order (the order forms and facets show)."""
        return [t.code for t in self.terms]

    def get(self, code: str) -> Term | None:
        """The term with this code, None when there is none."""
        return self._by_code.get(code)

    def by_uri(self, uri: str) -> Term | None:
        """The term with this URI.

        Tolerates a trailing "/" and http/https, because harvested DCAT
        metadata is not consistent about either.
        """
        if not uri:
            return None
        return self._by_uri.get(_normalise_uri(uri))

    def normalise(self, value: Any) -> str | None:
        """The code for a code or an alias in any case, or for the term's
        URI; None otherwise.

        Forms, API clients, DCAT parsers and harvesters all hand values over
        in their own form; records always store the short code. This is the
        one place an alias is read, so every reader of a code accepts it.
        """
        if not isinstance(value, str):
            return None
        value = value.strip()
        term = self._by_code.get(value) or self._by_lower_code.get(value.lower())
        if term is None and "://" in value:
            term = self.by_uri(value)
        return term.code if term else None

    def label(self, code: str, lang: str = DEFAULT_LANGUAGE) -> str:
        """The term's label; the code itself when the code is unknown.

        Returning the code keeps legacy or harvested values visible instead of
        hiding them behind an empty string.
        """
        term = self.get(code)
        return term.label(lang) if term else code

    def title_in(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The vocabulary's title, with the same fallback as labels."""
        return _pick(self.title, lang, self.name)

    def where(self, **extra: Any) -> list[Term]:
        """Terms whose extra keys equal all the given values.

        For example ``get("regions").where(country="IT")``.
        """
        return [
            t
            for t in self.terms
            if all(k in t.extra and t.extra[k] == v for k, v in extra.items())
        ]

    def choices(self, lang: str = DEFAULT_LANGUAGE) -> list[dict[str, str]]:
        """``[{"value": code, "label": label}]``, the shape scheming expects."""
        return [{"value": t.code, "label": t.label(lang)} for t in self.terms]


def _check_labels(value: Any, where: str) -> dict[str, str]:
    """Every label and title must exist, non-empty, in all of LANGUAGES."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected a mapping of languages to labels")
    missing = [
        lang
        for lang in LANGUAGES
        if not isinstance(value.get(lang), str) or not value[lang].strip()
    ]
    if missing:
        raise ValueError(f"{where}: missing or empty languages {missing}")
    return {str(k): str(v).strip() for k, v in value.items()}


def _aliases(value: Any, code: str, names_read: dict[str, str], where: str) -> tuple[str, ...]:
    """A term's aliases: codes of their own form that no other code or alias
    of the file takes in any case (``normalise`` would have to pick one).
    ``names_read`` holds the file's names, lower-cased, and takes these."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"{where}: aliases must be a list")
    for alias in value:
        if not isinstance(alias, str) or not _CODE_RE.match(alias):
            raise ValueError(f"{where}: aliases must be ASCII codes without spaces, not {alias!r}")
        if alias.lower() in names_read:
            raise ValueError(
                f"{where}: alias {alias!r} is already {names_read[alias.lower()]!r} in the file")
        names_read[alias.lower()] = code
    return tuple(value)


def read_yaml(path: Path) -> Any:
    """A data file's content; ValueError naming the file when it is not YAML."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ValueError(f"{path.name}: not valid YAML: {error}") from error


def load_file(path: str | Path) -> Vocabulary:
    """Load and validate one vocabulary file.

    Raises ValueError naming the file (and the term) on any problem, so that a
    broken file is found when the plugin starts, not when a form renders.
    """
    path = Path(path)
    where = path.name
    data = read_yaml(path)
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: expected a mapping at the top level")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown top-level keys {sorted(unknown)}")
    if data.get("name") != path.stem:
        raise ValueError(
            f"{where}: name {data.get('name')!r} differs from the file stem "
            f"{path.stem!r}"
        )
    title = _check_labels(data.get("title"), f"{where}: title")
    scheme_uri = data.get("scheme_uri")
    if scheme_uri is not None and not isinstance(scheme_uri, str):
        raise ValueError(f"{where}: scheme_uri must be a string")
    raw_terms = data.get("terms")
    if not isinstance(raw_terms, list) or not raw_terms:
        raise ValueError(f"{where}: terms must be a non-empty list")

    terms: list[Term] = []
    codes: set[str] = set()
    uris: set[str] = set()
    # every code and alias, lower-cased: normalise() reads them in any case
    names_read: dict[str, str] = {
        str(raw["code"]).lower(): str(raw["code"])
        for raw in raw_terms if isinstance(raw, Mapping) and isinstance(raw.get("code"), str)
    }
    for index, raw in enumerate(raw_terms):
        if not isinstance(raw, Mapping):
            raise ValueError(f"{where}: term #{index + 1} is not a mapping")
        code = raw.get("code")
        term_where = f"{where}: term {code!r} (#{index + 1})"
        if not isinstance(code, str) or not _CODE_RE.match(code):
            raise ValueError(f"{term_where}: code must be ASCII without spaces")
        if code in codes:
            raise ValueError(f"{term_where}: duplicate code")
        codes.add(code)
        labels = _check_labels(raw.get("label"), f"{term_where}: label")
        uri = raw.get("uri")
        if uri is not None:
            if not isinstance(uri, str) or not uri.strip():
                raise ValueError(f"{term_where}: uri must be a non-empty string")
            key = _normalise_uri(uri)
            if key in uris:
                raise ValueError(f"{term_where}: duplicate uri {uri!r}")
            uris.add(key)
        aliases = _aliases(raw.get("aliases"), code, names_read, term_where)
        extra = {k: v for k, v in raw.items() if k not in _TERM_KEYS}
        terms.append(
            Term(
                code=code,
                labels=MappingProxyType(labels),
                uri=uri,
                extra=MappingProxyType(extra),
                aliases=aliases,
            )
        )
    return Vocabulary(
        name=path.stem,
        title=MappingProxyType(title),
        scheme_uri=scheme_uri,
        terms=tuple(terms),
    )


def load_dir(directory: str | Path) -> dict[str, Vocabulary]:
    """Load every ``*.yaml`` file of a directory, keyed by name.

    Exposed so that tests (and anyone shipping extra vocabularies) can
    validate a directory other than the shipped one.
    """
    return {
        path.stem: load_file(path)
        for path in sorted(Path(directory).glob("*.yaml"))
    }


def names() -> list[str]:
    """Every shipped vocabulary's name (file stem), sorted."""
    return sorted(path.stem for path in VOCABULARY_DIR.glob("*.yaml"))


@functools.lru_cache(maxsize=None)
def get(name: str) -> Vocabulary:
    """The shipped vocabulary `name`, loaded once per process.

    Raises KeyError naming the known vocabularies, so a typo in a schema is
    obvious from the message.
    """
    known = names()
    if name not in known:
        raise KeyError(
            f"unknown vocabulary {name!r}; known: {', '.join(known)}"
        )
    return load_file(VOCABULARY_DIR / f"{name}.yaml")


def regions_of(country: str) -> list[Term]:
    """The regions (NUTS 2, or ISO 3166-2 entities for BA) of a country,
    named by any of its names in the ``countries`` vocabulary ("el", "GR")."""
    code = get("countries").normalise(country)
    return get("regions").where(country=code) if code else []
