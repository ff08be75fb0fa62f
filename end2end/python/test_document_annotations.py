"""Document annotations with Phoenix's own client (`arize-phoenix-client` 3.5.0): a retriever span
from the OpenTelemetry SDK (flat `retrieval.documents.N.…` attributes, as OpenInference sends them),
`log_document_annotations` and `log_document_annotations_dataframe`, read back over REST."""

import json
import uuid

import httpx
import pandas as pd
import pytest
from phoenix.client import Client

from test_phoenix_client import global_id, hex_span, provider_for

DOCUMENTS = ["Paris is the capital of France.", "Lyon is a city in France.", "Berlin is in Germany."]


@pytest.fixture(scope="module")
def retrieval(plume):
    """(project, span_id) of a retriever span with three documents."""
    project = f"py-docs-{uuid.uuid4().hex[:8]}"
    provider = provider_for(plume, project)
    with provider.get_tracer("test").start_as_current_span("retrieve") as span:
        span.set_attribute("openinference.span.kind", "RETRIEVER")
        span.set_attribute("input.value", "capital of France")
        for n, text in enumerate(DOCUMENTS):
            span.set_attribute(f"retrieval.documents.{n}.document.id", f"doc-{n}")
            span.set_attribute(f"retrieval.documents.{n}.document.content", text)
            span.set_attribute(f"retrieval.documents.{n}.document.score", 0.9 - n / 10)
    provider.shutdown()
    return project, hex_span(span)


def read_back(plume, project: str, span_id: str) -> dict[tuple[str, int], dict]:
    """The span's document annotations over REST, by (name, position)."""
    answer = httpx.get(
        f"{plume.url}/v1/projects/{project}/document_annotations", params={"span_ids": span_id, "limit": 100}
    )
    assert answer.status_code == 200, answer.text
    return {(a["name"], a["document_position"]): a for a in answer.json()["data"]}


def test_log_document_annotations_writes_what_the_client_sends(plume, retrieval):
    project, span_id = retrieval
    client = Client(base_url=plume.url)
    inserted = client.spans.log_document_annotations(
        document_annotations=[
            {"name": "relevance", "span_id": span_id, "document_position": 0, "annotator_kind": "LLM",
             "result": {"label": "relevant", "score": 1.0, "explanation": "names the capital"},
             "metadata": {"model": "judge-1"}},
            {"name": "relevance", "span_id": span_id, "document_position": 2, "annotator_kind": "LLM",
             "result": {"label": "irrelevant", "score": 0.0}},
        ],
        sync=True,
    )
    assert [global_id(i["id"])[0] for i in inserted] == ["DocumentAnnotation", "DocumentAnnotation"]
    stored = read_back(plume, project, span_id)
    first = stored[("relevance", 0)]
    assert first["id"] == inserted[0]["id"]
    assert first["span_id"] == span_id
    assert first["annotator_kind"] == "LLM" and first["source"] == "API" and first["identifier"] == ""
    assert first["result"] == {"label": "relevant", "score": 1.0, "explanation": "names the capital"}
    assert first["metadata"] == {"model": "judge-1"}
    assert stored[("relevance", 2)]["result"]["label"] == "irrelevant"

    # Past the last document, with sync: refused as Phoenix refuses it.
    with pytest.raises(httpx.HTTPStatusError) as refused:
        client.spans.log_document_annotations(
            document_annotations=[{"name": "relevance", "span_id": span_id, "document_position": 3,
                                   "annotator_kind": "LLM", "result": {"label": "x"}}],
            sync=True,
        )
    assert refused.value.response.status_code == 422
    assert "out of bounds" in refused.value.response.text


def test_log_document_annotations_dataframe_upserts_by_span_position_and_name(plume, retrieval):
    project, span_id = retrieval
    client = Client(base_url=plume.url)
    frame = pd.DataFrame({
        "span_id": [span_id, span_id, span_id],
        "document_position": [0, 1, 2],
        "label": ["yes", "no", "yes"],
        "score": [1.0, 0.0, 1.0],
        "explanation": ["a", "b", "c"],
        "metadata": [{"row": 0}, {"row": 1}, {"row": 2}],
    })
    inserted = client.spans.log_document_annotations_dataframe(
        dataframe=frame, annotation_name="faithfulness", annotator_kind="CODE", sync=True
    )
    assert len(inserted) == 3
    stored = read_back(plume, project, span_id)
    for position, (label, score) in enumerate([("yes", 1.0), ("no", 0.0), ("yes", 1.0)]):
        annotation = stored[("faithfulness", position)]
        assert annotation["annotator_kind"] == "CODE"
        assert (annotation["result"]["label"], annotation["result"]["score"]) == (label, score)
        assert annotation["metadata"] == {"row": position}

    # Again, one row changed and sync=False: replaced in place, same id.
    before = stored[("faithfulness", 1)]["id"]
    client.spans.log_document_annotations_dataframe(
        dataframe=frame.iloc[[1]].assign(label=["maybe"]), annotation_name="faithfulness", annotator_kind="CODE"
    )
    again = read_back(plume, project, span_id)[("faithfulness", 1)]
    assert again["id"] == before and again["result"]["label"] == "maybe"


def test_a_non_empty_identifier_is_refused(plume, retrieval):
    project, span_id = retrieval
    answer = httpx.post(
        f"{plume.url}/v1/document_annotations",
        params={"sync": "true"},
        content=json.dumps({"data": [{"name": "tagged", "span_id": span_id, "document_position": 0,
                                      "annotator_kind": "HUMAN", "identifier": "run-7"}]}),
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 422
    assert "Non-empty identifier 'run-7' is not supported" in answer.text
    assert not [key for key in read_back(plume, project, span_id) if key[0] == "tagged"]
