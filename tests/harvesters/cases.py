"""What every harvester's tests share: the platforms (one imitation portal
each, and how a test drives it), the harvest source, the search, the ways a
portal breaks."""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Callable
from urllib.parse import urlparse

import pytest

from ckan.tests.helpers import call_action

from ckanext.plusresilient.harvesters import ckan as ckan_harvester
from ckanext.plusresilient.harvesters import udata as udata_harvester
from ckanext.plusresilient.demo.portals.ckan import CKANPortal, DKANPortal
from ckanext.plusresilient.demo.portals.dcat import DCATPortal
from ckanext.plusresilient.demo.portals.opendatasoft import ODSPortal
from ckanext.plusresilient.demo.portals.socrata import SocrataPortal
from ckanext.plusresilient.demo.portals.udata import UdataPortal

VENETO = {"portal": "dati-veneto", "country": "IT", "region": "ITH3", "language": "it"}


def make_source(url, name="dati-veneto", config=VENETO, source_type="plusresilient_ckan"):
    return call_action("harvest_source_create", {"user": _site_user()}, name=name, title=name,
                       url=url, source_type=source_type, config=json.dumps(config))


def _site_user():
    return call_action("get_site_user", {"ignore_auth": True})["name"]


def datasets(**fq):
    """The harvested datasets the search shows, optionally filtered."""
    query = " ".join(f"+{k}:{v}" for k, v in fq.items())
    return call_action("package_search", fq=f"+dataset_type:dataset {query}", rows=100)["results"]


#: how a portal breaks (see LoopbackPortal._misbehave) -> what the gather error says
BROKEN_SOURCE: tuple[tuple[str, str], ...] = (
    ("500", "HTTP 500"),
    ("malformed", "malformed"),
    ("private-redirect", "169.254.169.254"),
    ("huge", "over the 977 KB limit"),   # with ckanext.plusresilient.http.max_response_bytes = 1000000
)


def assert_failed_and_withdrew_nothing(summary, message: str) -> None:
    """One gather error naming the cause, and no dataset withdrawn."""
    assert summary.deleted == 0
    assert len(summary.gather_errors) == 1 and message in summary.gather_errors[0], summary.gather_errors
    assert "nothing was withdrawn" in summary.gather_errors[0]


@pytest.fixture
def harvest_log(caplog):
    """What the harvesters log at WARNING and above, read as ``caplog``.

    The test run configures logging more than once (CKAN loads its ini when
    the app is made), and a later ``fileConfig`` disables the loggers that
    already exist and stops ``ckanext`` from reaching the root, where caplog
    listens: the handler goes on the harvesters' logger itself, and their
    loggers are enabled for the test."""
    import logging

    prefix = "ckanext.plusresilient.harvesters"
    parent = logging.getLogger(prefix)
    loggers = [parent] + [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
                          if name.startswith(prefix + ".")]
    saved = [(logger, logger.disabled) for logger in loggers]
    level = parent.level
    for logger in loggers:
        logger.disabled = False
    parent.addHandler(caplog.handler)
    parent.setLevel(logging.WARNING)
    yield caplog
    parent.removeHandler(caplog.handler)
    parent.setLevel(level)
    for logger, disabled in saved:
        logger.disabled = disabled


@dataclass
class Platform:
    """One imitation portal and how a test drives it: the harvester's
    source type and config, where its listing is, how a dataset is
    published, retitled and withdrawn there, and what the harvester is
    expected to ask of it. The suite every harvester runs
    (test_every_platform.py) reads the expectations; anything only one
    platform has stays in that platform's module."""

    name: str
    portal: Any
    source_type: str
    source_url: Callable[[Any], str]
    store: Callable[[Any], dict[str, dict[str, Any]]]
    key: str
    publish: Callable[..., dict[str, Any]]          # (portal, title, modified, **fields)
    retitle: Callable[[dict[str, Any], str, str], None]
    config: dict[str, Any]
    #: the path of the listing API: where a broken portal fails, and every
    #: other path read is a dataset read alone
    listing: Callable[[Any], str]
    #: paths asked before the listing (DKAN: the package_search it has not)
    probes: Callable[[Any], tuple[str, ...]] = lambda portal: ()
    #: the field a dataset's keywords go in, and the fields that leave it
    #: classified by its title and keywords alone
    keywords: str = "tags"
    plain: dict[str, Any] = field(default_factory=dict)
    #: what leaves a dataset without a modification date where the platform
    #: may publish one so (DCAT: the harvester compares it by content)
    undated: dict[str, Any] = field(default_factory=dict)
    #: how many requests a harvest after a change makes (a dataset changed, one gone) ...
    requests_after_a_change: int = 1
    #: ... each tuple's words all in one of them (the changed ones asked by date, a light census)
    incremental: tuple[tuple[str, ...], ...] = ()
    #: whether the changed dataset is then read alone (the census has only ids and dates)
    reads_changed_alone: bool = False
    #: the page-size and stable-order parameters of every listing page; None
    #: when the portal decides its pages (DCAT: hydra)
    page_size: str | None = None
    order: str | None = None
    #: the census (every dataset's id and date, for withdrawals): a word only
    #: its requests carry where the changed ones are listed apart, and the
    #: module constant holding its page size when it is not the source's
    census: str | None = None
    census_page_size: tuple[Any, str] | None = None
    #: what the gather error says when the listing answers JSON of another kind
    foreign_message: str = ""

    def url(self) -> str:
        return self.source_url(self.portal)

    def add(self, title: str, modified: str | None = "2024-01-10T08:00:00", **fields: Any) -> dict[str, Any]:
        return self.publish(self.portal, title, modified, **fields)

    def add_plain(self, title: str, keywords: list[str], **fields: Any) -> dict[str, Any]:
        """A dataset the harvester classifies by its title and keywords."""
        return self.add(title, **{**self.plain, self.keywords: keywords, **fields})

    def withdraw(self, item: dict[str, Any]) -> None:
        del self.store(self.portal)[item[self.key]]

    def republish(self, item: dict[str, Any]) -> None:
        self.store(self.portal)[item[self.key]] = item

    def listing_path(self) -> str:
        return self.listing(self.portal)

    def listing_hits(self) -> list[str]:
        return [hit for hit in self.portal.hits if urlparse(hit).path == self.listing_path()]

    def single_reads(self) -> list[str]:
        """Requests that read one dataset alone."""
        listing = {self.listing_path(), *self.probes(self.portal)}
        return [hit for hit in self.portal.hits if urlparse(hit).path not in listing]

    def another(self) -> "Platform":
        """The same platform on a second portal (to be started with ``with``)."""
        return replace(self, portal=WITH_DKAN[self.name]().portal)

    def source(self, name: str = "source-a", config: dict[str, Any] | None = None) -> dict[str, Any]:
        return make_source(self.url(), name=name, config=self.config if config is None else config,
                           source_type=self.source_type)


def _ods_retitle(dataset, title, modified):
    dataset["metas"]["default"].update(title=title, modified=f"{modified}+00:00")


def _udata_retitle(dataset, title, modified):
    dataset.update(title=title, last_modified=f"{modified}.000000+00:00",
                   last_update=f"{modified}.000000+00:00")


def _ckan(portal_class=CKANPortal, name="ckan", listing="package_search", **expected):
    return Platform(
        name=name, portal=portal_class(prefix="/opendata"), source_type="plusresilient_ckan",
        source_url=lambda p: p.api_url, store=lambda p: p.packages, key="id",
        publish=lambda p, title, modified, **fields: p.add(title, modified=f"{modified}.000000", **fields),
        retitle=lambda d, title, modified: d.update(title=title, metadata_modified=f"{modified}.000000"),
        config={"portal": "dati-veneto", "country": "IT", "region": "ITH3", "language": "it"},
        listing=lambda p: f"{p.prefix}/api/3/action/{listing}", foreign_message="not a CKAN API answer",
        **expected)


PLATFORMS: dict[str, Callable[[], Platform]] = {
    "ckan": lambda: _ckan(
        requests_after_a_change=2, incremental=(("fq=metadata_modified",), ("fl=",)),
        page_size="rows", order="sort=id+asc", census="fl=",
        census_page_size=(ckan_harvester, "CENSUS_PAGE_SIZE")),
    "dcat": lambda: Platform(
        name="dcat", portal=DCATPortal("fr"), source_type="plusresilient_dcat",
        source_url=lambda p: p.catalog_url, store=lambda p: p.datasets, key="slug",
        publish=lambda p, title, modified, **fields: p.add(title, modified=modified, **fields),
        retitle=lambda d, title, modified: d.update(title=title, modified=modified),
        config={"portal": "data-gouv-fr", "country": "FR", "language": "fr"},
        listing=lambda p: p.path, keywords="keywords", plain={"themes": []}, undated={"modified": None},
        foreign_message="without any dcat:Catalog"),
    "udata": lambda: Platform(
        name="udata", portal=UdataPortal(), source_type="plusresilient_udata",
        source_url=lambda p: p.url, store=lambda p: p.datasets, key="id",
        publish=lambda p, title, modified, **fields: p.add(title, modified=f"{modified}.000000+00:00", **fields),
        retitle=_udata_retitle,
        config={"portal": "data-gouv-fr", "country": "FR", "region": "FRJ1", "language": "fr"},
        listing=lambda p: "/api/1/datasets/", requests_after_a_change=2, reads_changed_alone=True,
        page_size="page_size", order="sort=created", census_page_size=(udata_harvester, "CENSUS_PAGE_SIZE"),
        foreign_message="not a udata API page"),
    "opendatasoft": lambda: Platform(
        name="opendatasoft", portal=ODSPortal(), source_type="plusresilient_ods",
        source_url=lambda p: p.portal_url, store=lambda p: p.datasets, key="dataset_id",
        publish=lambda p, title, modified, **fields: p.add(title, modified=f"{modified}+00:00", **{
            "attachments": [{"id": "notice_pdf", "title": "notice.pdf", "mimetype": "application/pdf"}],
            **fields}),
        retitle=_ods_retitle,
        config={"portal": "fr-ile-de-france", "country": "FR", "region": "FR10", "language": "fr"},
        listing=lambda p: p.catalog_path, keywords="keyword", plain={"theme": []}, requests_after_a_change=2,
        incremental=(("metas.default.modified", "where="), ("select=dataset_id%2Cmetas.default.modified",)),
        page_size="limit", order="order_by=dataset_id", census="select=dataset_id%2Cmetas.default.modified",
        foreign_message="not an OpenDataSoft"),
    "socrata": lambda: Platform(
        name="socrata", portal=SocrataPortal(), source_type="plusresilient_socrata",
        source_url=lambda p: p.url, store=lambda p: p.assets, key="id",
        publish=lambda p, title, modified, **fields: p.add(title, updated=f"{modified}.000Z", **fields),
        retitle=lambda a, title, modified: a.update(name=title, updated=f"{modified}.000Z"),
        config={"portal": "transparencia-catalunya", "country": "ES", "region": "ES51", "language": "ca"},
        listing=lambda p: "/api/catalog/v1", page_size="limit", order="order=dataset_id",
        foreign_message="not a Socrata"),
}

#: DKAN runs where it behaves as the others do (it cannot say what changed,
#: so it reads every dataset on every harvest: see test_ckan.py)
WITH_DKAN: dict[str, Callable[[], Platform]] = {
    **PLATFORMS,
    "dkan": lambda: _ckan(DKANPortal, "dkan", "package_list",
                          probes=lambda p: (f"{p.prefix}/api/3/action/package_search",)),
}


@pytest.fixture(params=sorted(PLATFORMS))
def platform(request):
    """Each platform in turn, its portal serving; a test narrows the list
    with ``@pytest.mark.parametrize("platform", [...], indirect=True)``."""
    platform = WITH_DKAN[request.param]()
    with platform.portal:
        yield platform
