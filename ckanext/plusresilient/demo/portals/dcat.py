"""An imitation DCAT-AP catalogue: the pages a harvester reads from
dati.gov.it (DCAT-AP_IT, Turtle), datos.gob.es (DCAT-AP-ES, RDF/XML) and
data.gouv.fr (JSON-LD), each paged with hydra.

Shapes followed (triples, typing, nesting, paging nodes):

* DCAT-AP_IT as ckanext-dcatapit publishes it for dati.gov.it: datasets and
  distributions typed both ``dcatapit:Dataset``/``dcat:Dataset``, titles in
  Italian and English, ``dct:identifier`` "<ipa code>:<id>", EU themes, a
  ``dcatapit:Agent`` publisher, a ``dcatapit:Organization`` contact point, the
  licence a ``dcatapit:LicenseDocument`` from the Italian licences vocabulary,
  and the ckanext-dcat ``hydra:PagedCollection`` (``hydra:next``,
  ``hydra:nextPage``, ``totalItems``, ``itemsPerPage`` literals, ``?page=N``):
  https://github.com/geosolutions-it/ckanext-dcatapit/blob/master/examples/catalog_dati_unibo.rdf
  and https://github.com/ckan/ckanext-dcat (processors.py, ``_add_pagination_triples``).
* DCAT-AP-ES as datos.gob.es publishes it: sector themes
  (``http://datos.gob.es/kos/sector-publico/sector/...``), DIR3 publisher
  URIs, ``dct:language`` literals, ``dcat:accessURL`` literals, ``dct:format``
  a ``dct:IMT`` node (``rdfs:label`` + ``rdf:value``), ``dcat:byteSize``:
  https://github.com/ckan/ckanext-dcat/blob/master/examples/dcat/dataset_gob_es.ttl
  and https://github.com/datosgobes/DCAT-AP-ES/tree/main/examples/rdf
* data.gouv.fr's catalogue (udata): a ``dcat:Catalog`` that is also a
  ``hydra:Collection`` with ``hydra:totalItems`` and ``hydra:view`` to a
  ``hydra:PartialCollectionView`` (``first``/``last``/``next`` IRIs),
  ``?page=N&page_size=M``, ``adms:identifier``, ``dct:format``/``dcat:mediaType``
  literals: https://github.com/opendatateam/udata/blob/master/udata/harvest/tests/dcat/udata.xml
  and .../partial-collection-1.jsonld

Access rights, temporal coverage and a distribution's rights are written as
DCAT-AP 3 has them, each flavour its own way (``dct:accessRights`` an EU URI,
or a ``dct:RightsStatement`` with an ``rdfs:label``; ``dct:temporal`` a
``dct:PeriodOfTime`` with ``dcat:startDate``/``dcat:endDate``, or the
``schema:startDate``/``schema:endDate`` of DCAT-AP 1.1 that datos.gob.es keeps;
``dct:rights`` a labelled ``dct:RightsStatement``, or udata's literal).

Pages are built with rdflib and serialised (Turtle, RDF/XML, JSON-LD) as
those portals do; every node has a URI, so a page's bytes are stable.

The demo's sample catalogue is a ckanext-dcat one whose Turtle pages are
fixed (``demo/payloads/dcat/catalog-N.ttl``): :meth:`DCATPortal.sample`
serves them as they are, 400 for a ``page`` that is no number, 404 past
the last one.
"""
from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS as DCT, FOAF, RDF, RDFS, SKOS, XSD

from ckanext.plusresilient.demo.portals.base import PAYLOADS, LoopbackPortal, Query, Reply, int_arg, read_payload

__all__ = ["DCATPortal", "EU", "NUTS"]

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SCHEMA = Namespace("http://schema.org/")
EU = "http://publications.europa.eu/resource/authority/"
NUTS = "http://data.europa.eu/nuts/code/"

FLAVOURS = {
    # path, content type, rdflib serialisation, page-size parameter
    "it": ("/opendata/catalog.ttl", "text/turtle; charset=utf-8", "turtle", None),
    "es": ("/catalogo.rdf", "application/rdf+xml; charset=utf-8", "pretty-xml", None),
    "fr": ("/api/1/site/catalog.jsonld", "application/ld+json; charset=utf-8", "json-ld", "page_size"),
}


#: The compact JSON-LD context data.gouv.fr's catalogue uses (prefixes).
JSONLD_CONTEXT = {
    "dcat": str(DCAT), "dct": str(DCT), "hydra": str(HYDRA), "foaf": str(FOAF), "adms": str(ADMS),
    "skos": str(SKOS), "xsd": str(XSD), "vcard": str(VCARD),
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


class DCATPortal(LoopbackPortal):
    """A paged DCAT catalogue. ``add`` a dataset; ``page_size`` datasets a
    page; ``failing_page`` makes one page answer HTTP 500; ``ignore_paging``
    makes every page answer the first one (as a server that ignores
    ``?page`` does); ``remote_context`` (JSON-LD) puts the context behind a
    URL — True for this portal's ``/context.jsonld``, or any URL."""

    def __init__(self, flavour: str = "it", page_size: int = 2, *, mounted_at: str | None = None) -> None:
        super().__init__(mounted_at)
        self.flavour = flavour
        self.path, self.content_type, self.serialisation, self.size_param = FLAVOURS[flavour]
        self.page_size = page_size
        self.datasets: dict[str, dict[str, Any]] = {}
        self.failing_page: int | None = None
        self.ignore_paging = False
        self.remote_context: bool | str = False
        self.routes[self.path] = self._catalog
        self.routes["/context.jsonld"] = lambda query: (
            200, {"Content-Type": "application/ld+json"}, json.dumps({"@context": JSONLD_CONTEXT}).encode())
        #: fixed pages (the demo's), served instead of pages built from ``datasets``
        self.page_bodies: list[bytes] | None = None
        self.catalog_url = self.url + self.path

    @classmethod
    def sample(cls, base: str, path: str = "/dcat/catalog.ttl") -> "DCATPortal":
        """The demo's sample catalogue, its fixed Turtle pages at ``base + path``."""
        portal = cls("it", mounted_at=base)
        del portal.routes[portal.path]
        portal.path = path
        portal.routes[path] = portal._catalog
        portal.catalog_url = base + path
        host = urlsplit(base).hostname or "127.0.0.1"
        files = sorted((PAYLOADS / "dcat").glob("catalog-*.ttl"), key=lambda f: int(f.stem.rsplit("-", 1)[1]))
        portal.page_bodies = [read_payload(f, base, host).encode("utf-8") for f in files]
        return portal

    @property
    def pages(self) -> dict[str, str]:
        """Each dataset's page (path -> title), as the fixed pages name them."""
        pages = {}
        for body in self.page_bodies or ():
            graph = Graph().parse(data=body, format="turtle")
            for dataset in graph.subjects(RDF.type, DCAT.Dataset):
                pages[urlsplit(str(dataset)).path] = str(graph.value(dataset, DCT.title))
        return pages

    def _misbehave(self, handler, failure: str) -> None:  # noqa: ANN001 - the base signature
        if failure == "bad-turtle":   # a catalogue cut short / hand-edited
            body = (b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
                    b"<https://example.org/d/1> a dcat:Dataset ;\n    dct:title \"Senza prefisso\" .\n")
            return handler.reply(200, body, "text/turtle")
        return super()._misbehave(handler, failure)

    # -- content -------------------------------------------------------------------------
    def add(self, title: str, modified: str | None = "2024-01-10T08:00:00", **fields: Any) -> dict[str, Any]:
        slug = fields.pop("slug", None) or _slug(title)
        base = self.url if self.serving else "http://example.org"
        dataset = {
            "slug": slug, "title": title, "modified": modified,
            "description": fields.pop("description", f"{title}."),
            "keywords": fields.pop("keywords", ["welfare", "servizi sociali"]),
            "themes": fields.pop("themes", [f"{EU}data-theme/SOCI"]),
            "spatial": fields.pop("spatial", []),
            "licence": fields.pop("licence", None),
            "dcatapit_only": fields.pop("dcatapit_only", False),
            # an EU URI, or a label (published as a dct:RightsStatement)
            "access_rights": fields.pop("access_rights", None),
            "temporal": fields.pop("temporal", None),   # {"start": ..., "end": ...}
            "distributions": fields.pop("distributions", [
                {"id": "1", "title": "Dati CSV", "url": f"{base}/download/{slug}.csv", "format": "CSV",
                 "media_type": "text/csv", "size": 2048}]),
        }
        dataset.update(fields)
        self.datasets[slug] = dataset
        return dataset

    def dataset_uri(self, dataset: dict[str, Any]) -> str:
        return {"it": "https://dati.veneto.it/dataset/",
                "es": "https://datos.gob.es/catalogo/",
                "fr": "https://www.data.gouv.fr/datasets/"}[self.flavour] + dataset["slug"]

    def _page_url(self, page: int) -> str:
        query = {"page": page}
        if self.size_param:
            query[self.size_param] = self.page_size
        return f"{self.catalog_url}?{urlencode(query)}"

    def _fixed_page(self, query: Query) -> Reply:
        page = int_arg(query, "page", 1)
        text = {"Content-Type": "text/plain; charset=utf-8"}
        if page is None or page < 1:
            return 400, text, b"Bad request: 'page' must be a positive integer"
        if page > len(self.page_bodies or ()):
            return 404, text, b"Page not found"
        return 200, {"Content-Type": self.content_type}, self.page_bodies[page - 1]

    def _catalog(self, query: Query) -> Reply:
        if self.page_bodies is not None:
            return self._fixed_page(query)
        page = int((query.get("page") or ["1"])[0])
        if self.ignore_paging:
            page = 1
        if self.failing_page == page:
            return 500, {"Content-Type": "text/html"}, b"<h1>Internal Server Error</h1>"
        if self.size_param and query.get(self.size_param):
            self.page_size = int(query[self.size_param][0])
        datasets = [self.datasets[k] for k in sorted(self.datasets)]
        last = max(1, -(-len(datasets) // self.page_size))
        chosen = datasets[(page - 1) * self.page_size: page * self.page_size]
        g = Graph()
        for prefix, namespace in (("dcat", DCAT), ("dct", DCT), ("hydra", HYDRA), ("foaf", FOAF),
                                  ("vcard", VCARD), ("dcatapit", DCATAPIT), ("adms", ADMS), ("skos", SKOS)):
            g.bind(prefix, namespace)
        catalog = URIRef({"it": "https://www.dati.gov.it", "es": "https://datos.gob.es/catalogo",
                          "fr": "https://www.data.gouv.fr/api/1/site/catalog"}[self.flavour])
        g.add((catalog, RDF.type, DCAT.Catalog))
        g.add((catalog, DCT.title, Literal({"it": "Catalogo nazionale dei dati aperti", "es": "datos.gob.es",
                                            "fr": "data.gouv.fr"}[self.flavour])))
        for dataset in chosen:
            ref = URIRef(self.dataset_uri(dataset))
            g.add((catalog, DCAT.dataset, ref))
            getattr(self, f"_dataset_{self.flavour}")(g, ref, dataset)
        self._paging(g, catalog, page, last, len(datasets))
        if self.serialisation == "json-ld":
            document = json.loads(g.serialize(format="json-ld", context=JSONLD_CONTEXT))
            if self.remote_context:
                document["@context"] = (self.url + "/context.jsonld" if self.remote_context is True
                                        else self.remote_context)
            body = json.dumps(document, indent=2).encode()
        else:
            body = g.serialize(format=self.serialisation, encoding="utf-8")
        return 200, {"Content-Type": self.content_type}, body

    def _paging(self, g: Graph, catalog: URIRef, page: int, last: int, total: int) -> None:
        current = URIRef(self._page_url(page))
        if self.flavour == "fr":   # udata: Collection + PartialCollectionView, IRIs
            g.add((catalog, RDF.type, HYDRA.Collection))
            g.add((catalog, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
            g.add((catalog, HYDRA.view, current))
            g.add((current, RDF.type, HYDRA.PartialCollectionView))
            g.add((current, HYDRA.first, URIRef(self._page_url(1))))
            g.add((current, HYDRA.last, URIRef(self._page_url(last))))
            if page < last:
                g.add((current, HYDRA.next, URIRef(self._page_url(page + 1))))
            if page > 1:
                g.add((current, HYDRA.previous, URIRef(self._page_url(page - 1))))
            return
        # ckanext-dcat (dati.gov.it, CKAN-based catalogues): PagedCollection, literals
        g.add((current, RDF.type, HYDRA.PagedCollection))
        g.add((current, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
        g.add((current, HYDRA.itemsPerPage, Literal(self.page_size, datatype=XSD.integer)))
        for predicates, target in (((HYDRA.firstPage, HYDRA.first), 1), ((HYDRA.lastPage, HYDRA.last), last),
                                   ((HYDRA.nextPage, HYDRA.next), page + 1 if page < last else None),
                                   ((HYDRA.previousPage, HYDRA.previous), page - 1 if page > 1 else None)):
            if target:
                for predicate in predicates:
                    g.add((current, predicate, Literal(self._page_url(target))))

    def _distributions(self, g: Graph, ref: URIRef, dataset: dict[str, Any], kind: URIRef | None) -> list[URIRef]:
        nodes = []
        for d in dataset["distributions"]:
            node = URIRef(f"{ref}/resource/{d['id']}")
            g.add((ref, DCAT.distribution, node))
            g.add((node, RDF.type, DCAT.Distribution))
            if kind is not None:
                g.add((node, RDF.type, kind))
            g.add((node, DCT.title, Literal(d["title"])))
            nodes.append(node)
        return nodes

    def _statement(self, g: Graph, node: URIRef, text: str) -> URIRef:
        """A URI as it is, or a dct:RightsStatement labelled with ``text``."""
        if text.startswith(("http://", "https://")):
            return URIRef(text)
        g.add((node, RDF.type, DCT.RightsStatement))
        g.add((node, RDFS.label, Literal(text)))
        return node

    def _access_and_time(self, g: Graph, ref: URIRef, dataset: dict[str, Any]) -> None:
        if dataset["access_rights"]:
            g.add((ref, DCT.accessRights,
                   self._statement(g, URIRef(f"{ref}#access-rights"), dataset["access_rights"])))
        temporal = dataset["temporal"]
        if temporal:
            period = URIRef(f"{ref}#temporal")
            g.add((ref, DCT.temporal, period))
            g.add((period, RDF.type, DCT.PeriodOfTime))
            start, end = (SCHEMA.startDate, SCHEMA.endDate) if self.flavour == "es" else \
                (DCAT.startDate, DCAT.endDate)
            for predicate, value in ((start, temporal.get("start")), (end, temporal.get("end"))):
                if value:
                    g.add((period, predicate, Literal(value, datatype=XSD.date)))

    def _rights(self, g: Graph, node: URIRef, distribution: dict[str, Any]) -> None:
        if distribution.get("rights"):
            g.add((node, DCT.rights, self._statement(g, URIRef(f"{node}#rights"), distribution["rights"])))

    # -- dati.gov.it (DCAT-AP_IT) ------------------------------------------------------
    def _dataset_it(self, g: Graph, ref: URIRef, dataset: dict[str, Any]) -> None:
        g.add((ref, RDF.type, DCATAPIT.Dataset))
        if not dataset["dcatapit_only"]:
            g.add((ref, RDF.type, DCAT.Dataset))
        g.add((ref, DCT.identifier, Literal(f"r_veneto:{dataset['slug']}")))
        g.add((ref, DCT.title, Literal(dataset["title"], lang="it")))
        g.add((ref, DCT.title, Literal(dataset.get("title_en", "English title of " + dataset["title"]), lang="en")))
        g.add((ref, DCT.description, Literal(dataset["description"], lang="it")))
        if dataset["modified"]:
            g.add((ref, DCT.modified, Literal(dataset["modified"], datatype=XSD.dateTime)))
        g.add((ref, DCT.issued, Literal("2020-05-01", datatype=XSD.date)))
        for keyword in dataset["keywords"]:
            g.add((ref, DCAT.keyword, Literal(keyword, lang="it")))
        for theme in dataset["themes"]:
            g.add((ref, DCAT.theme, URIRef(theme)))
        for place in dataset["spatial"]:
            g.add((ref, DCT.spatial, URIRef(place)))
        g.add((ref, DCT.language, URIRef(f"{EU}language/ITA")))
        g.add((ref, DCT.accrualPeriodicity, URIRef(f"{EU}frequency/ANNUAL")))
        g.add((ref, DCAT.landingPage, URIRef(f"https://dati.veneto.it/content/{dataset['slug']}")))
        self._access_and_time(g, ref, dataset)
        publisher = URIRef("https://www.dati.gov.it/organization/r_veneto")
        g.add((ref, DCT.publisher, publisher))
        g.add((ref, DCT.rightsHolder, publisher))
        g.add((publisher, RDF.type, DCATAPIT.Agent))
        g.add((publisher, RDF.type, FOAF.Agent))
        g.add((publisher, DCT.identifier, Literal("r_veneto")))
        g.add((publisher, FOAF.name, Literal("Regione del Veneto", lang="it")))
        contact = URIRef("https://www.dati.gov.it/organization/r_veneto/contact")
        g.add((ref, DCAT.contactPoint, contact))
        g.add((contact, RDF.type, DCATAPIT.Organization))
        g.add((contact, RDF.type, VCARD.Organization))
        g.add((contact, VCARD.fn, Literal("Ufficio open data")))
        g.add((contact, VCARD.hasEmail, URIRef("mailto:opendata@regione.veneto.it")))
        licence = URIRef(dataset["licence"] or
                         "https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40")
        g.add((licence, RDF.type, DCATAPIT.LicenseDocument))
        g.add((licence, RDF.type, DCT.LicenseDocument))
        g.add((licence, FOAF.name, Literal("Creative Commons Attribuzione 4.0 Internazionale (CC BY 4.0)",
                                           lang="it")))
        g.add((licence, DCT.type, URIRef("http://purl.org/adms/licencetype/Attribution")))
        for node, d in zip(self._distributions(g, ref, dataset, DCATAPIT.Distribution),
                           dataset["distributions"]):
            g.add((node, DCT.format, URIRef(f"{EU}file-type/{d['format']}")))
            g.add((node, DCAT.accessURL, URIRef(d["url"])))
            g.add((node, DCAT.downloadURL, URIRef(d["url"])))
            g.add((node, DCT.license, licence))
            g.add((node, DCAT.byteSize, Literal(d["size"], datatype=XSD.decimal)))
            self._rights(g, node, d)

    # -- datos.gob.es (DCAT-AP-ES) -----------------------------------------------------
    def _dataset_es(self, g: Graph, ref: URIRef, dataset: dict[str, Any]) -> None:
        g.add((ref, RDF.type, DCAT.Dataset))
        g.add((ref, DCT.identifier, Literal(f"https://datos.madrid.es/egob/catalogo/{dataset['slug']}")))
        g.add((ref, DCT.title, Literal(dataset["title"], lang="es")))
        g.add((ref, DCT.description, Literal(dataset["description"], lang="es")))
        if dataset["modified"]:
            g.add((ref, DCT.modified, Literal(dataset["modified"] + "+02:00", datatype=XSD.dateTime)))
        g.add((ref, DCT.issued, Literal("2024-04-15T09:08:02+02:00", datatype=XSD.dateTime)))
        g.add((ref, DCT.language, Literal("es")))
        for keyword in dataset["keywords"]:
            g.add((ref, DCAT.keyword, Literal(keyword, lang="es")))
        for theme in dataset["themes"]:
            g.add((ref, DCAT.theme, URIRef(theme)))
        for place in dataset["spatial"]:
            g.add((ref, DCT.spatial, URIRef(place)))
        publisher = URIRef("http://datos.gob.es/recurso/sector-publico/org/Organismo/L01280796")
        g.add((ref, DCT.publisher, publisher))
        g.add((publisher, RDF.type, SKOS.Concept))
        g.add((publisher, SKOS.notation, Literal("L01280796")))
        g.add((publisher, SKOS.prefLabel, Literal("Ayuntamiento de Madrid")))
        g.add((ref, DCT.license, URIRef(dataset["licence"] or f"{EU}licence/CC_BY_4_0")))
        self._access_and_time(g, ref, dataset)
        for node, d in zip(self._distributions(g, ref, dataset, None), dataset["distributions"]):
            imt = URIRef(f"{node}/format")
            g.add((node, DCT.format, imt))
            g.add((imt, RDF.type, DCT.IMT))
            g.add((imt, RDFS.label, Literal(d["format"])))
            g.add((imt, RDF.value, Literal(d["media_type"])))
            g.add((node, DCAT.accessURL, Literal(d["url"])))
            g.add((node, DCAT.byteSize, Literal(float(d["size"]))))
            self._rights(g, node, d)

    # -- data.gouv.fr (udata) ----------------------------------------------------------
    def _dataset_fr(self, g: Graph, ref: URIRef, dataset: dict[str, Any]) -> None:
        g.add((ref, RDF.type, DCAT.Dataset))
        g.add((ref, DCT.identifier, Literal(dataset["slug"])))
        identifier = URIRef(f"{ref}#identifier")
        g.add((ref, ADMS.identifier, identifier))
        g.add((identifier, RDF.type, ADMS.Identifier))
        g.add((identifier, SKOS.notation, Literal(f"https://www.data.gouv.fr/datasets/{dataset['slug']}/")))
        g.add((ref, DCT.title, Literal(dataset["title"])))
        g.add((ref, DCT.description, Literal(dataset["description"])))
        if dataset["modified"]:
            g.add((ref, DCT.modified, Literal(dataset["modified"], datatype=XSD.dateTime)))
        g.add((ref, DCT.issued, Literal("2019-04-19T12:21:56", datatype=XSD.dateTime)))
        g.add((ref, DCAT.landingPage, URIRef(f"https://www.data.gouv.fr/datasets/{dataset['slug']}/")))
        for keyword in dataset["keywords"]:
            g.add((ref, DCAT.keyword, Literal(keyword)))
        for theme in dataset["themes"]:
            g.add((ref, DCAT.theme, URIRef(theme)))
        for place in dataset["spatial"]:
            g.add((ref, DCT.spatial, URIRef(place)))
        publisher = URIRef("https://www.data.gouv.fr/organizations/54884a24c751df7226a3fc16/")
        g.add((ref, DCT.publisher, publisher))
        g.add((publisher, RDF.type, FOAF.Organization))
        g.add((publisher, FOAF.name, Literal("Ville de Vanves")))
        self._access_and_time(g, ref, dataset)
        for node, d in zip(self._distributions(g, ref, dataset, None), dataset["distributions"]):
            g.add((node, DCT.identifier, Literal(d["id"])))
            g.add((node, DCAT.downloadURL, URIRef(d["url"])))
            g.add((node, DCAT.accessURL, URIRef(f"https://www.data.gouv.fr/datasets/r/{d['id']}")))
            g.add((node, DCAT.mediaType, Literal(d["media_type"])))
            g.add((node, DCT.format, Literal(d["format"].lower())))
            if d.get("size"):
                g.add((node, DCAT.byteSize, Literal(d["size"], datatype=XSD.decimal)))
            if dataset["licence"]:
                g.add((node, DCT.license, URIRef(dataset["licence"])))
            # udata writes its licence's title as a literal dct:rights when the
            # licence has no URI
            rights = d.get("rights") or (None if dataset["licence"] else "License Not Specified")
            if rights:
                g.add((node, DCT.rights, Literal(rights)))
