"""Build a large SVRC catalogue for benchmarks/catalog.py, and prove it is what
CKAN's own actions would have written.

Creating 100,000 datasets through ``package_create`` takes hours on two
cores, so most of the catalogue is copied: a few hundred *templates* are made
through the real actions (clusters, datasets with resources and every SVRC
field, scorings, community feedback, activities), then each copy is the
template's rows in every table that holds them (package, resources, views,
tags, organization membership, activity, quality row and history, feedback
and its replies) with new ids, names and titles, written in batches. The
search index gets, for each copy, the documents CKAN's indexer builds
(``index_update_package_dicts`` with our ``before_dataset_index``), sent to
Solr a batch at a time instead of one request each.

``verify`` checks it the way the issue asks: every active dataset is indexed
(``ckan search-index check``'s own comparison), and for a sample of copies
``package_show`` (both schemas) equals the template's with the copy's
identity, and the Solr document equals the one CKAN writes when it reindexes
the copy itself.
"""
from __future__ import annotations

import copy
import datetime
import itertools
import json
import random
import uuid
from typing import Any, Iterable, Iterator

import sqlalchemy as sa

#: Datasets made through the actions; the rest of the catalogue copies them.
TEMPLATES = 200
CLUSTERS = 20
COUNTRIES = ("IT", "ES", "FR", "PT", "EL", "HR", "SI", "CY")
#: Share of templates (hence of the catalogue) that are private.
PRIVATE_EVERY = 10
#: Rows written per INSERT, documents per Solr request.
BATCH = 1000
#: Copies whose package_show and Solr document are compared with CKAN's.
SAMPLE = 25

#: (table, column naming the template's row), in the order the copies are
#: written: a table's new ids are known before a later table mentions them.
COPIED_TABLES: tuple[tuple[str, str], ...] = (
    ("package", "id"),
    ("resource", "package_id"),
    ("resource_view", "resource_id"),
    ("package_tag", "package_id"),
    ("member", "table_id"),
    ("activity", "object_id"),
    ("plusresilient_quality", "package_id"),
    ("plusresilient_quality_history", "package_id"),
    ("plusresilient_feedback", "package_id"),
    ("plusresilient_feedback_reply", "feedback_id"),
    ("plusresilient_feedback_flag", "feedback_id"),
)
#: Integer keys filled by their sequence.
SERIAL_KEYS = {"plusresilient_quality_history": "id"}


# -- templates through the real actions ------------------------------------------------

def make_templates(count: int = TEMPLATES) -> list[str]:
    """Clusters, users and ``count`` datasets through the actions; each is
    scored three times (its history) and some get ratings and reports."""
    import ckan.plugins.toolkit as tk

    from ckanext.plusresilient import vocabularies
    from ckanext.plusresilient.scoring.dataset import score_dataset

    action = tk.get_action
    site_user = action("get_site_user")({"ignore_auth": True}, {})["name"]
    admin = {"user": site_user, "ignore_auth": True}
    rng = random.Random(17)
    action("user_create")(dict(admin), {"name": "bench-admin", "email": "admin@example.org",
                                        "password": "bench-admin-password", "sysadmin": True})
    raters = [action("user_create")(dict(admin), {
        "name": f"bench-user-{n}", "email": f"user{n}@example.org",
        "password": "bench-user-password"})["name"] for n in range(10)]
    clusters = []
    for n in range(CLUSTERS):
        country = COUNTRIES[n % len(COUNTRIES)]
        clusters.append(action("organization_create")(dict(admin), {
            "name": f"cluster-{n:02d}", "title": f"SVRC cluster {n} ({country})",
            "country": country, "svrc_scenario": ["public-services"]}))
        action("organization_member_create")(dict(admin), {
            "id": clusters[-1]["id"], "username": raters[n % len(raters)], "role": "member"})
    codes = {name: vocabularies.get(name).codes() for name in
             ("scenarios", "si_areas", "data_themes", "od_categories", "helix_actors", "frequencies")}
    formats = (("CSV", "text/csv"), ("JSON", "application/json"), ("XLSX", None), ("PDF", "application/pdf"))
    ids = []
    for n in range(count):
        cluster = clusters[n % CLUSTERS]
        country = COUNTRIES[n % CLUSTERS % len(COUNTRIES)]
        regions = [term.code for term in vocabularies.regions_of(country)]
        full = n % 3 != 0  # a third of the catalogue is thinly described
        data = {
            "name": f"template-{n:04d}", "title": f"Servizi sociali e innovazione {n}",
            "notes": "Strutture, servizi e progetti di innovazione sociale del territorio, "
                     "aggiornati ogni anno dal cluster.",
            "owner_org": cluster["id"], "private": n % PRIVATE_EVERY == 0,
            "license_id": rng.choice(["cc-by", "cc-by-sa", "odc-odbl", "notspecified"]),
            "svrc_scenario": rng.sample(codes["scenarios"], rng.randint(1, 2)),
            "country": country,
            "tag_string": ",".join(rng.sample(["welfare", "inclusione", "lavoro", "salute",
                                               "giovani", "anziani", "imprese sociali"], 3)),
        }
        if full:
            data.update({
                "si_area": rng.sample(codes["si_areas"], 2),
                "theme": rng.sample(codes["data_themes"], 1),
                "od_category": rng.sample(codes["od_categories"], 1),
                "helix_actor": rng.sample(codes["helix_actors"], 1),
                "region": rng.choice(regions) if regions else "",
                "frequency": rng.choice(codes["frequencies"]),
                "temporal_start": "2020-01-01", "temporal_end": "2025-12-31",
                "issued": "2021-03-01", "modified": "2025-06-30",
                "contact": [{"name": "Ufficio open data", "email": f"opendata{n}@example.org"}],
            })
        resources = []
        for r in range(1 + n % 3):
            fmt, mimetype = formats[(n + r) % len(formats)]
            resources.append({"name": f"Dati {r}", "format": fmt, "mimetype": mimetype,
                              "url": f"http://data.example.org/{n}/{r}.{fmt.lower()}",
                              "size": 1024 * (r + 1) if full else None})
        data["resources"] = resources
        dataset = action("package_create")(dict(admin), data)
        ids.append(dataset["id"])
    for n, package_id in enumerate(ids):
        # a private dataset is seen by its cluster's member only
        member = raters[n % CLUSTERS % len(raters)]
        others = [] if n % PRIVATE_EVERY == 0 else [r for r in raters if r != member]
        if n % 4 == 0:
            for rater in [member, *rng.sample(others, min(1, len(others)))]:
                action("plusresilient_feedback_create")({"user": rater}, {
                    "package_id": package_id, "kind": "rating", "rating": rng.randint(1, 5),
                    "text": "Utile per il nostro progetto."})
        if n % 7 == 0:
            action("plusresilient_feedback_create")({"user": member}, {
                "package_id": package_id, "kind": "report", "category": "outdated",
                "text": "I dati del 2024 mancano."})
        for _ in range(3):
            score_dataset(package_id, with_links=False, with_data=False, defer_index_commit=True)
    return ids


# -- copies ----------------------------------------------------------------------------

def _substitute(value: Any, identity: dict[str, str]) -> Any:
    """The value with every string equal to a template identity (id, name,
    title) replaced by the copy's, inside JSON too."""
    if isinstance(value, str):
        if value in identity:
            return identity[value]
        if value[:1] in "{[" and any(key in value for key in identity):
            try:
                return json.dumps(_substitute(json.loads(value), identity))
            except ValueError:
                return value
        return value
    if isinstance(value, dict):
        return {_substitute(key, identity): _substitute(item, identity) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, identity) for item in value]
    return value


def _rows(connection: sa.Connection, table: str, column: str, keys: list[str]) -> list[dict[str, Any]]:
    if not keys:
        return []
    extra = " AND table_name = 'package'" if table == "member" else ""
    result = connection.execute(sa.text(f'SELECT * FROM "{table}" WHERE {column} = ANY(:keys){extra}'),
                                {"keys": keys})
    return [dict(row._mapping) for row in result]


class Template:
    """One template's rows in every copied table, and what makes it itself."""

    def __init__(self, connection: sa.Connection, package_id: str) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        keys_by_table: dict[str, list[str]] = {"package": [package_id]}
        for table, column in COPIED_TABLES:
            if table == "package":
                keys = [package_id]
            elif column == "resource_id":
                keys = [row["id"] for row in self.rows["resource"]]
            elif column == "feedback_id":
                keys = [row["id"] for row in self.rows["plusresilient_feedback"]]
            else:
                keys = [package_id]
            self.rows[table] = _rows(connection, table, column, keys)
            keys_by_table[table] = keys
        package = self.rows["package"][0]
        self.id, self.name, self.title = package["id"], package["name"], package["title"]
        #: Ids of rows that are copied: each copy gets new ones.
        self.owned_ids = [row["id"] for table, _ in COPIED_TABLES for row in self.rows[table]
                          if table not in SERIAL_KEYS and isinstance(row.get("id"), str)]

    def identity_of(self, number: int) -> dict[str, str]:
        identity = {old: str(uuid.uuid4()) for old in self.owned_ids}
        identity[self.name] = f"{self.name.replace('template-', 'dataset-')}-{number:06d}"
        identity[self.title] = f"{self.title} ({number})"
        return identity

    def copy_rows(self, identity: dict[str, str], shift: datetime.timedelta
                  ) -> Iterator[tuple[str, dict[str, Any]]]:
        for table, _ in COPIED_TABLES:
            for row in self.rows[table]:
                new = {column: _substitute(value, identity) for column, value in row.items()
                       if SERIAL_KEYS.get(table) != column}
                if table == "plusresilient_quality_history":
                    new["scored_at"] = row["scored_at"] - shift
                yield table, new


def copy_templates(engine: sa.Engine, template_ids: list[str], copies: int,
                   progress=print) -> list[tuple[str, dict[str, str]]]:
    """Write ``copies`` copies, round robin over the templates; return
    (template id, identity) of each, for indexing."""
    with engine.connect() as connection:
        templates = [Template(connection, package_id) for package_id in template_ids]
    made: list[tuple[str, dict[str, str]]] = []
    pending: dict[str, list[dict[str, Any]]] = {}
    tables = {name: sa.Table(name, sa.MetaData(), autoload_with=engine) for name, _ in COPIED_TABLES}

    def flush(connection: sa.Connection) -> None:
        for table, _ in COPIED_TABLES:
            if pending.get(table):
                connection.execute(tables[table].insert(), pending[table])
        pending.clear()

    with engine.begin() as connection:
        for number in range(copies):
            template = templates[number % len(templates)]
            identity = template.identity_of(number)
            # histories spread over the last year, so the trend has periods to draw
            shift = datetime.timedelta(days=(number * 7) % 365, hours=number % 24)
            for table, row in template.copy_rows(identity, shift):
                pending.setdefault(table, []).append(row)
            made.append((template.id, identity))
            if (number + 1) % BATCH == 0:
                flush(connection)
                progress(f"copied {number + 1} of {copies}")
        flush(connection)
    return made


def index_copies(made: list[tuple[str, dict[str, str]]], progress=print) -> None:
    """CKAN's index documents of each copy, sent a batch per Solr request."""
    import ckan.logic as logic
    from ckan.lib.search.common import make_connection

    context = {"ignore_auth": True}
    both_of: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    collected: list[dict[str, Any]] = []
    connection = make_connection()
    solr_class = type(connection)
    real_add = solr_class.add

    def collect(self, docs, commit=True, **kwargs):  # noqa: ANN001 - pysolr's signature
        collected.extend(docs)

    solr_class.add = collect
    try:
        for done, (template_id, identity) in enumerate(made, start=1):
            if template_id not in both_of:
                both_of[template_id] = logic.package_show_default_and_custom_schemas(
                    dict(context), template_id)
            both = tuple(_substitute(copy.deepcopy(part), identity) for part in both_of[template_id])
            logic.index_update_package_dicts(both, defer_commit=True)
            if len(collected) >= BATCH:
                real_add(connection, collected, commit=False)
                collected.clear()
                progress(f"indexed {done} of {len(made)}")
        if collected:
            real_add(connection, collected, commit=False)
    finally:
        solr_class.add = real_add
    connection.commit()


# -- proof -----------------------------------------------------------------------------

#: Solr fields that differ between two indexings of the same dataset.
VOLATILE_FIELDS = {"_version_", "indexed_ts"}


def _solr_document(package_id: str) -> dict[str, Any]:
    from ckan.lib.search.common import make_connection

    from ckan.common import config

    docs = make_connection().search(q=f'id:"{package_id}"',
                                    fq=f'site_id:"{config["ckan.site_id"]}"', fl="*", rows=2)
    assert len(docs) == 1, f"{len(docs)} Solr documents for {package_id}"
    return {key: value for key, value in next(iter(docs)).items() if key not in VOLATILE_FIELDS}


def verify(made: list[tuple[str, dict[str, str]]] | None, template_ids: list[str],
           sample: int = SAMPLE) -> list[str]:
    """Problems found (none when the copies are what CKAN writes)."""
    import ckan.logic as logic
    from ckan import model
    from ckan.lib import search

    problems = []
    active = {row.id for row in model.Session.query(model.Package.id).filter_by(state="active")}
    indexed = set(search.query_for(model.Package).get_all_entity_ids(max_results=len(active) + 10))
    if active - indexed:
        problems.append(f"{len(active - indexed)} of {len(active)} active datasets are not indexed")
    if indexed - active:
        problems.append(f"{len(indexed - active)} indexed datasets are not active in the database")
    if not made:
        return problems
    rng = random.Random(len(made))
    for template_id, identity in rng.sample(made, min(sample, len(made))):
        copy_id = identity[template_id]
        expected = tuple(_substitute(part, identity) for part in
                         logic.package_show_default_and_custom_schemas({"ignore_auth": True}, template_id))
        shown = logic.package_show_default_and_custom_schemas({"ignore_auth": True}, copy_id)
        for part, (want, got) in enumerate(zip(expected, shown)):
            if json.dumps(want, sort_keys=True) != json.dumps(got, sort_keys=True):
                diff = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
                problems.append(f"package_show of copy {copy_id} (schema {part}) differs in {diff}")
        bulk = _solr_document(copy_id)
        logic.index_update_package({"ignore_auth": True}, copy_id)
        own = _solr_document(copy_id)
        if bulk != own:
            diff = sorted(k for k in set(bulk) | set(own) if bulk.get(k) != own.get(k))
            problems.append(f"Solr document of copy {copy_id} differs from CKAN's own in {diff}")
    return problems


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
