"""`arize-phoenix-client` reads a Plume collection as a Phoenix dataset: spans sent with the
OpenTelemetry SDK, flagged into a collection over the REST API, then
`client.datasets.get_dataset(...)` by name and by id, unchanged. And the other way: the
client's `create_dataset(...)` (from a DataFrame, from lists, from spans) and
`add_examples_to_dataset(...)` write into Plume, with splits, versions and Phoenix's exports."""

import base64
import csv
import io
import json
import uuid

import pandas as pd

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from phoenix.client import Client


def _send_spans(plume, project: str, count: int) -> list[str]:
    """`count` LLM spans sent with the OpenTelemetry SDK; their span ids (hex)."""
    provider = TracerProvider(resource=Resource.create({"openinference.project.name": project}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{plume.url}/v1/traces")))
    tracer = provider.get_tracer("test")
    span_ids = []
    for i in range(count):
        with tracer.start_as_current_span(f"ask-{i}") as span:
            span.set_attribute("openinference.span.kind", "LLM")
            span.set_attribute("input.value", f"question {i}")
            span.set_attribute("output.value", f"answer {i}")
            span_ids.append(span.get_span_context().span_id.to_bytes(8, "big").hex())
    provider.shutdown()
    return span_ids


def test_a_collection_is_a_dataset(plume):
    project = f"datasets-{uuid.uuid4().hex[:8]}"
    span_ids = _send_spans(plume, project, 3)

    client = Client(base_url=plume.url)
    client.spans.add_span_annotation(
        span_id=span_ids[1], annotation_name="user feedback", annotator_kind="HUMAN", label="thumbs-up", score=1,
        sync=True,
    )
    name = f"flagged-{uuid.uuid4().hex[:8]}"
    created = plume.http.post("/v1/collections", json={"name": name, "description": "for experiments"})
    assert created.status_code == 200, created.text
    collection_id = created.json()["data"]["id"]
    added = plume.http.post(
        f"/v1/collections/{collection_id}/items",
        json={"filter": {"project": project, "span_kind": "LLM"}, "note": "regression"},
    )
    assert added.json() == {"data": {"added": 3}}

    dataset = client.datasets.get_dataset(dataset=name)
    assert dataset.name == name
    assert dataset.description == "for experiments"
    assert base64.b64decode(dataset.id).decode().startswith("Dataset:")
    assert len(dataset) == 3
    by_span = {example["metadata"]["span_id"]: example for example in dataset.examples}
    assert set(by_span) == set(span_ids)
    for i, span_id in enumerate(span_ids):
        example = by_span[span_id]
        assert example["input"] == {"input": f"question {i}"}
        assert example["output"] == {"output": f"answer {i}"}
        assert example["metadata"]["note"] == "regression"
        assert len(example["metadata"]["trace_id"]) == 32
    labels = [a["label"] for a in by_span[span_ids[1]]["metadata"]["annotations"]]
    assert labels == ["thumbs-up"]

    # By id, the same examples; the DataFrame view works too.
    same = client.datasets.get_dataset(dataset=dataset.id)
    assert [e["id"] for e in same.examples] == [e["id"] for e in dataset.examples]
    assert same.version_id == dataset.version_id
    frame = same.to_dataframe()
    assert list(frame.columns) == ["input", "output", "metadata"]
    assert len(frame) == 3


def test_create_dataset_from_a_dataframe_with_splits_and_versions(plume):
    client = Client(base_url=plume.url)
    name = f"frame-{uuid.uuid4().hex[:8]}"
    frame = pd.DataFrame(
        {
            "question": ["2+2?", "capital of France?", "author of Hamlet?"],
            "answer": ["4", "Paris, France", "Shakespeare"],
            "topic": ["math", "geo", "books"],
            "split": ["train", "test", '["train", "test"]'],
        }
    )
    dataset = client.datasets.create_dataset(
        name=name,
        dataframe=frame,
        input_keys=["question"],
        output_keys=["answer"],
        metadata_keys=["topic"],
        split_key="split",
        dataset_description="a frame",
    )
    assert dataset.name == name
    assert len(dataset) == 3
    got = [(e["input"], e["output"], e["metadata"]) for e in dataset.examples]
    assert got == [
        ({"question": "2+2?"}, {"answer": "4"}, {"topic": "math"}),
        ({"question": "capital of France?"}, {"answer": "Paris, France"}, {"topic": "geo"}),
        ({"question": "author of Hamlet?"}, {"answer": "Shakespeare"}, {"topic": "books"}),
    ]
    # Read back by name: the same examples and version.
    again = client.datasets.get_dataset(dataset=name)
    assert [e["id"] for e in again.examples] == [e["id"] for e in dataset.examples]
    assert again.version_id == dataset.version_id

    # Splits.
    train = client.datasets.get_dataset(dataset=name, splits=["train"])
    assert sorted(e["input"]["question"] for e in train.examples) == ["2+2?", "author of Hamlet?"]
    test = client.datasets.get_dataset(dataset=name, splits=["test"])
    assert sorted(e["input"]["question"] for e in test.examples) == ["author of Hamlet?", "capital of France?"]

    # Adding examples makes a new version; the old one is still listed.
    added = client.datasets.add_examples_to_dataset(
        dataset=name, inputs=[{"question": "largest planet?"}], outputs=[{"answer": "Jupiter"}]
    )
    assert len(added) == 4
    assert added.version_id != dataset.version_id
    assert added.examples[-1]["output"] == {"answer": "Jupiter"}
    versions = client.datasets.get_dataset_versions(dataset=name)
    ids = [v["version_id"] for v in versions]
    assert ids[0] == added.version_id
    assert dataset.version_id in ids
    # An older version's examples are not kept: a clear error, not wrong data.
    old = plume.http.get(f"/v1/datasets/{dataset.id}/examples", params={"version_id": dataset.version_id})
    assert old.status_code == 422 and "latest" in old.text


def test_create_dataset_from_lists_and_from_spans(plume):
    client = Client(base_url=plume.url)
    project = f"to-dataset-{uuid.uuid4().hex[:8]}"
    span_ids = _send_spans(plume, project, 2)
    name = f"lists-{uuid.uuid4().hex[:8]}"
    dataset = client.datasets.create_dataset(
        name=name,
        examples=[
            {"input": {"q": "question 0"}, "output": {"a": "answer 0"}, "metadata": {"m": 1},
             "span_id": span_ids[0], "splits": "train"},
            {"input": {"q": "question 1"}, "output": {"a": "answer 1"}, "metadata": {"m": 2},
             "span_id": span_ids[1], "splits": ["test"]},
            {"input": {"q": "no span"}, "output": {"a": "x"}, "metadata": {}},
        ],
    )
    assert [e["input"]["q"] for e in dataset.examples] == ["question 0", "question 1", "no span"]
    assert [e["metadata"] for e in dataset.examples] == [{"m": 1}, {"m": 2}, {}]
    # The examples link back to their spans.
    items = plume.http.get(f"/v1/collections/{dataset.id}/items").json()["data"]
    assert [i["span_id"] for i in items] == [span_ids[0], span_ids[1], None]
    assert all(len(i["trace_id"]) == 32 for i in items[:2])
    assert [e["input"]["q"] for e in client.datasets.get_dataset(dataset=name, splits=["test"]).examples] == [
        "question 1"
    ]

    # From lists, without examples= (inputs/outputs/metadata).
    plain = client.datasets.create_dataset(
        name=f"plain-{uuid.uuid4().hex[:8]}", inputs=[{"x": 1}, {"x": 2}], outputs=[{"y": 1}, {"y": 4}]
    )
    assert [(e["input"], e["output"]) for e in plain.examples] == [({"x": 1}, {"y": 1}), ({"x": 2}, {"y": 4})]


def test_the_three_exports_parse_back(plume):
    client = Client(base_url=plume.url)
    name = f"exports-{uuid.uuid4().hex[:8]}"
    dataset = client.datasets.create_dataset(
        name=name,
        examples=[
            {"input": {"messages": [{"role": "user", "content": "hi"}]},
             "output": {"messages": [{"role": "assistant", "content": "hello"}]},
             "metadata": {"source": "chat"}, "splits": ["train"]},
            {"input": {"question": "2+2?"}, "output": {"answer": "4"}, "metadata": {}},
        ],
    )
    response = plume.http.get(f"/v1/datasets/{dataset.id}/csv")
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["node_id"] for r in rows] == [e["id"] for e in dataset.examples]
    assert json.loads(rows[0]["input.messages"]) == [{"role": "user", "content": "hi"}]
    assert rows[0]["metadata.source"] == "chat"
    assert json.loads(rows[0]["splits"]) == ["train"]
    assert rows[1]["input.question"] == "2+2?" and rows[1]["output.answer"] == "4"

    response = plume.http.get(f"/v1/datasets/{dataset.id}/jsonl/openai_ft")
    assert response.status_code == 200, response.text
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines[0] == {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    assert lines[1]["messages"][-1] == {"role": "assistant", "content": "4"}

    response = plume.http.get(f"/v1/datasets/{dataset.id}/jsonl/openai_evals")
    assert response.status_code == 200, response.text
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines[0] == {"messages": [{"role": "user", "content": "hi"}], "ideal": "hello"}
    assert lines[1]["ideal"] == "4"

    # A corrected answer (the edited expected output) is what the exports give.
    item = plume.http.get(f"/v1/collections/{dataset.id}/items").json()["data"][1]["id"]
    edited = plume.http.patch(f"/v1/collections/{dataset.id}/items/{item}", json={"expected_output": "four"})
    assert edited.status_code == 204, edited.text
    lines = [json.loads(line) for line in plume.http.get(f"/v1/datasets/{dataset.id}/jsonl/openai_evals").text.splitlines()]
    assert lines[1]["ideal"] == "four"
    assert client.datasets.get_dataset(dataset=name).examples[1]["output"] == {"output": "four"}
