"""The MQA from the published RDF (quality/rdf.py) against the dict scorer.

The parity on real records, harvested ones and the demo's is in
tests/profiles/test_dcat_ap_shacl.py and tests/demo/test_load.py. Here: the RDF
scorer alone on a DCAT-AP document that is not ours, and parity on a few
hundred crafted dicts (every field present or missing at random, values the
schema would refuse included) rendered through ckanext-dcat.
"""
from __future__ import annotations

import random
from collections import Counter

import pytest
from rdflib import Graph, URIRef

from ckanext.dcat.processors import RDFSerializer
from ckanext.plusresilient.quality.metadata import score_metadata
from ckanext.plusresilient.quality.rdf import datasets_of, score_graph

from benchmarks.quality_metadata import SEED, crafted_dataset
from tests.factories import Cluster
from tests.mqa_parity import differences

EU = "http://publications.europa.eu/resource/authority/"

FOREIGN = f"""
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

<https://dati.example.it/dataset/asili> a dcat:Dataset ;
    dct:title "Asili nido"@it ; dct:description "Gli asili nido comunali."@it ;
    dcat:keyword "asili"@it, "infanzia"@it ; dcat:theme <{EU}data-theme/SOCI> ;
    dct:spatial <http://data.europa.eu/nuts/code/ITH35> ;
    dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2020-01-01"^^xsd:date ] ;
    dct:accessRights <{EU}access-right/PUBLIC> ;
    dcat:contactPoint [ a vcard:Kind ; vcard:fn "Ufficio statistica" ] ;
    dct:publisher [ a foaf:Agent ; foaf:name "Comune di Venezia" ] ;
    dct:issued "2021-03-01"^^xsd:date ; dct:modified "2024-05-02"^^xsd:date ;
    dcat:distribution <https://dati.example.it/dist/1>, <https://dati.example.it/dist/2> .

<https://dati.example.it/dist/1> a dcat:Distribution ;
    dcat:accessURL <https://dati.example.it/asili> ;
    dct:format <{EU}file-type/HTML> ; dct:license <{EU}licence/CC_BY_4_0> .

<https://dati.example.it/dist/2> a dcat:Distribution ;
    dcat:accessURL <https://dati.example.it/asili.csv> ;
    dcat:downloadURL <https://dati.example.it/asili.csv> ;
    dct:format <{EU}file-type/CSV> ;
    dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;
    dct:license <{EU}licence/CC_BY_4_0> ; dcat:byteSize "2048"^^xsd:decimal ;
    dct:rights [ a dct:RightsStatement ; rdfs:label "Citare la fonte" ] .
"""


def test_a_complete_dcat_ap_record_scores_full_marks_from_its_rdf():
    graph = Graph().parse(data=FOREIGN, format="turtle")
    [dataset] = datasets_of(graph)
    answers = {"https://dati.example.it/asili": 200, "https://dati.example.it/asili.csv": 200}

    score = score_graph(graph, dataset, answers)

    assert (score.points, score.band) == (405, "excellent"), score.failing
    assert score.indicator("format").found == (f"{EU}file-type/HTML", f"{EU}file-type/CSV")
    assert score.indicator("rights").found == ("Citare la fonte",)
    assert score.indicator("byte_size").found == ("2048",)
    assert score.indicator("download_url").property == "dcat:downloadURL"


def test_each_missing_property_costs_its_points():
    graph = Graph().parse(data=FOREIGN, format="turtle")
    [dataset] = datasets_of(graph)
    csv = URIRef("https://dati.example.it/dist/2")
    graph.remove((csv, URIRef("http://www.w3.org/ns/dcat#downloadURL"), None))
    graph.remove((dataset, URIRef("http://purl.org/dc/terms/accessRights"), None))

    score = score_graph(graph, dataset, {"https://dati.example.it/asili": 404,
                                         "https://dati.example.it/asili.csv": 200})

    failing = {i.key: i.points_max for i in score.failing}
    assert failing == {"download_url": 20, "download_url_status": 30,
                       "access_rights": 10, "access_rights_vocabulary": 5}
    assert score.points == 405 - 65
    # the best distribution counts: one access URL answers
    assert score.indicator("access_url_status").passed is True


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_crafted_dicts_score_the_same_from_their_rdf():
    """300 random dicts (a fixed seed), each through ckanext-dcat with our
    profile and scored both ways: every indicator agrees."""
    organization = Cluster()
    rng = random.Random(SEED)
    cases = [crafted_dataset(rng, n, organization) for n in range(300)]
    problems: Counter[str] = Counter()
    example = {}
    bands = Counter()
    for record, statuses in cases:
        serializer = RDFSerializer()
        ref = serializer.graph_from_dataset(record)
        from_dict = score_metadata(record, statuses)
        bands[from_dict.band] += 1
        for line in differences(from_dict, score_graph(serializer.g, ref, statuses)):
            key = line.split(":", 1)[0]
            problems[key] += 1
            example.setdefault(key, f"{record['name']}: {line}")
    assert not problems, (problems, example)
    assert len(bands) >= 3, bands  # the cases cover more than one band
