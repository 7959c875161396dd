"""The quality report says what data.europa.eu will see, in the user's language:
each indicator names the DCAT property, the values the published RDF holds
and the fix. Datasets are scored on the real stack (resources served on
loopback) and the pages rendered by the real app under CKAN's locale prefix."""
from __future__ import annotations

import json
import re

import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from markupsafe import escape

from ckanext.plusresilient.model import Quality
from tests.factories import SVRCDataset
from tests.quality.servers import server  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

HOSTILE = '<script>alert("rights")</script>"><img src=x onerror=alert(1)>'

# English text -> its translation, as the catalogs give it
TEXTS = {
    "el": {
        "Set the start or the end of the temporal coverage.":
            "Ορίστε την έναρξη ή τη λήξη της χρονικής κάλυψης.",
        "Use a format of the EU file-type list (e.g. CSV, JSON, XLSX) or a registered media type.":
            "Χρησιμοποιήστε μια μορφή από τον κατάλογο τύπων αρχείων της ΕΕ (π.χ. CSV, JSON, XLSX) "
            "ή έναν καταχωρισμένο τύπο μέσου.",
        "DCAT property:": "Ιδιότητα DCAT:",
        "Found in the published RDF:": "Βρέθηκε στο δημοσιευμένο RDF:",
        "Not in the published RDF.": "Δεν υπάρχει στο δημοσιευμένο RDF.",
        "and 2 more": "και 2 ακόμη",
    },
    "it": {
        "Set the start or the end of the temporal coverage.":
            "Indica l'inizio o la fine della copertura temporale.",
        "Use a format of the EU file-type list (e.g. CSV, JSON, XLSX) or a registered media type.":
            "Usa un formato dell'elenco UE dei tipi di file (ad es. CSV, JSON, XLSX) o un tipo di "
            "media registrato.",
        "DCAT property:": "Proprietà DCAT:",
        "Found in the published RDF:": "Trovato nell'RDF pubblicato:",
        "Not in the published RDF.": "Assente nell'RDF pubblicato.",
        "and 2 more": "e ancora 2",
    },
}


@pytest.fixture
def sysadmin():
    return factories.Sysadmin()


@pytest.fixture
def scored(server, sysadmin):
    """A dataset that fails the temporal coverage (nothing published) and the
    format vocabulary (a format published as it was typed), with twelve
    keywords (more than the page lists) and a hostile rights statement."""
    server.serve("/cities.pizza", b"not a table\n")
    dataset = SVRCDataset(
        tags=[{"name": f"keyword-{n:02d}"} for n in range(12)],
        resources=[{"name": "Cities", "url": server.url("/cities.pizza"),
                    "format": "Pizza Format", "rights": HOSTILE}])
    call_action("plusresilient_quality_refresh", {"user": sysadmin["name"]}, id=dataset["id"], wait=True)
    return dataset


def _row(page: str, key: str) -> str:
    return page.split(f'data-indicator="{key}"', 1)[1].split("</tr>", 1)[0]


def _message(text: str, html: str) -> bool:
    """Whether the template's own message ``text`` is in ``html`` (CKAN's
    gettext marks translations safe, so their quotes may stay as they are)."""
    return text in html or str(escape(text)) in html


def _value(text: str) -> str:
    """A value (a fix, a reason) as the page must write it: escaped, quotes too."""
    return str(escape(text))


def test_a_failing_indicator_names_the_property_what_was_found_and_the_fix(app, scored):
    for lang, texts in TEXTS.items():
        page = app.get(f"/{lang}/dataset/{scored['name']}/quality").body

        temporal = _row(page, "temporal")
        assert 'data-passed="false"' in temporal
        assert _message(texts["DCAT property:"], temporal) and "<code>dct:temporal</code>" in temporal
        assert 'data-found="0"' in temporal and _message(texts["Not in the published RDF."], temporal)
        assert _value(texts["Set the start or the end of the temporal coverage."]) in temporal
        assert "Set the start or the end" not in temporal
        # the English reason stays, marked as English
        assert re.search(r'class="small plusresilient-quality-reason text-muted" lang="en">[^<]+<', temporal)

        vocabulary = _row(page, "format_vocabulary")
        assert 'data-passed="false"' in vocabulary
        assert "<code>dct:format</code>, <code>dcat:mediaType</code>" in vocabulary
        assert _message(texts["Found in the published RDF:"], vocabulary)
        assert '<code class="text-break">Pizza Format</code>' in vocabulary
        assert _value(texts["Use a format of the EU file-type list (e.g. CSV, JSON, XLSX) or a "
                            "registered media type."]) in vocabulary

        keywords = _row(page, "keywords")  # passed: its values are listed too, ten of them
        assert 'data-passed="true"' in keywords and 'data-found="12"' in keywords
        assert keywords.count('<code class="text-break">keyword-') == 10
        assert _message(texts["and 2 more"], keywords)


def test_a_hostile_published_value_is_shown_as_text(app, scored):
    for prefix in ("", "/el"):
        page = app.get(f"{prefix}/dataset/{scored['name']}/quality").body

        rights = _row(page, "rights")
        assert '<code class="text-break">&lt;script&gt;alert(&#34;rights&#34;)&lt;/script&gt;' in rights
        assert "<script>alert(" not in page
        assert "<img src=x" not in page


def test_an_english_page_keeps_the_reason_as_its_main_line(app, scored):
    page = app.get(f"/dataset/{scored['name']}/quality").body

    temporal = _row(page, "temporal")
    assert "<code>dct:temporal</code>" in temporal and "Not in the published RDF." in temporal
    assert 'class="small plusresilient-quality-reason">' in temporal
    assert 'lang="en"' not in temporal
    assert "Set the start or the end of the temporal coverage." in temporal
    # "not in the published RDF" is said of failures only
    for passed in re.findall(r'data-indicator="[a-z_]+" data-passed="true">.*?</tr>', page, re.S):
        assert "Not in the published RDF" not in passed


def test_a_report_stored_before_property_and_found_still_renders(app, scored):
    """Reports stored before the DCAT property and the published values were
    kept: the page shows the reason, as it did, and still translates the fix."""
    row = model.Session.get(Quality, scored["id"])
    report = json.loads(row.report)
    for indicator in report["metadata"]["indicators"]:
        del indicator["property"], indicator["found"]
    reason = next(i["reason"] for i in report["metadata"]["indicators"] if i["key"] == "temporal")
    row.report = json.dumps(report)
    model.Session.commit()

    for lang in ("", "el"):
        page = app.get(f"{'/' + lang if lang else ''}/dataset/{scored['name']}/quality").body

        assert len(re.findall(r'data-indicator="[a-z_]+"', page)) == 23
        assert "plusresilient-quality-found" not in page and "plusresilient-quality-property" not in page
        temporal = _row(page, "temporal")
        assert _value(reason) in temporal
        fix = TEXTS[lang]["Set the start or the end of the temporal coverage."] if lang else \
            "Set the start or the end of the temporal coverage."
        assert _value(fix) in temporal
