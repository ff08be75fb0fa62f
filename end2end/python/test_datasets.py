"""`arize-phoenix-client` reads a Plume collection as a Phoenix dataset: spans sent with the
OpenTelemetry SDK, flagged into a collection over the REST API, then
`client.datasets.get_dataset(...)` by name and by id, unchanged."""

import base64
import uuid

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from phoenix.client import Client


def test_a_collection_is_a_dataset(plume):
    project = f"datasets-{uuid.uuid4().hex[:8]}"
    provider = TracerProvider(resource=Resource.create({"openinference.project.name": project}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{plume.url}/v1/traces")))
    tracer = provider.get_tracer("test")
    span_ids = []
    for i in range(3):
        with tracer.start_as_current_span(f"ask-{i}") as span:
            span.set_attribute("openinference.span.kind", "LLM")
            span.set_attribute("input.value", f"question {i}")
            span.set_attribute("output.value", f"answer {i}")
            span_ids.append(span.get_span_context().span_id.to_bytes(8, "big").hex())
    provider.shutdown()

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
