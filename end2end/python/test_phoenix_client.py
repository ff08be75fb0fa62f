"""Phoenix's own Python client (`arize-phoenix-client` 3.5.0 from PyPI) and the seed snippet, unchanged,
against a live Plume. Spans come from the OpenTelemetry SDK; every answer is checked field by field."""

import base64
import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode
from phoenix.client import Client

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


def global_id(value: str) -> tuple[str, int]:
    """Decodes a Relay global id into (type, rowid)."""
    kind, _, rowid = base64.b64decode(value).decode().partition(":")
    return kind, int(rowid)


def hex_span(span) -> str:
    return span.get_span_context().span_id.to_bytes(8, "big").hex()


def hex_trace(span) -> str:
    return span.get_span_context().trace_id.to_bytes(16, "big").hex()


def provider_for(plume, project: str) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"openinference.project.name": project}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{plume.url}/v1/traces")))
    return provider


class Traced:
    """One project with two traces made by the OpenTelemetry SDK:
    trace 1: agent (AGENT, session) -> llm (LLM, tokens) + retriever (RETRIEVER, ERROR);
    trace 2: chain (CHAIN)."""

    def __init__(self, plume):
        self.project = f"py-client-{uuid.uuid4().hex[:8]}"
        self.session = f"session-{uuid.uuid4().hex[:8]}"
        self.before = datetime.now(timezone.utc)
        provider = provider_for(plume, self.project)
        tracer = provider.get_tracer("test")
        with tracer.start_as_current_span("agent") as agent:
            agent.set_attribute("openinference.span.kind", "AGENT")
            agent.set_attribute("session.id", self.session)
            agent.set_attribute("user.id", "12345")
            agent.set_attribute("input.value", "What is the capital of France?")
            with tracer.start_as_current_span("llm") as llm:
                llm.set_attribute("openinference.span.kind", "LLM")
                llm.set_attribute("llm.token_count.prompt", 12)
                llm.set_attribute("llm.token_count.completion", 3)
                llm.set_attribute("llm.token_count.total", 15)
                llm.set_attribute("output.value", "Paris")
            with tracer.start_as_current_span("retriever") as retriever:
                retriever.set_attribute("openinference.span.kind", "RETRIEVER")
                retriever.set_status(Status(StatusCode.ERROR, "index offline"))
        time.sleep(0.01)
        with tracer.start_as_current_span("chain") as chain:
            chain.set_attribute("openinference.span.kind", "CHAIN")
        provider.shutdown()
        self.after = datetime.now(timezone.utc)
        self.agent, self.llm, self.retriever, self.chain = map(hex_span, (agent, llm, retriever, chain))
        self.trace1, self.trace2 = hex_trace(agent), hex_trace(chain)


@pytest.fixture(scope="module")
def traced(plume) -> Traced:
    return Traced(plume)


@pytest.fixture(scope="module")
def client(plume) -> Client:
    return Client(base_url=plume.url)


def check_annotation_item(item: dict, *, span_id: str, name: str, kind: str, label, score, explanation, metadata,
                          identifier: str) -> None:
    assert list(item) == [
        "id", "created_at", "updated_at", "source", "user_id", "name", "annotator_kind", "result", "metadata",
        "identifier", "span_id",
    ]
    assert global_id(item["id"])[0] == "SpanAnnotation"
    assert ISO.match(item["created_at"]) and ISO.match(item["updated_at"]), item
    assert item["source"] == "API"
    assert item["user_id"] is None
    assert item["name"] == name
    assert item["annotator_kind"] == kind
    assert item["result"] == {"label": label, "score": score, "explanation": explanation}
    if score is not None:
        assert isinstance(item["result"]["score"], float)
    assert item["metadata"] == metadata
    assert item["identifier"] == identifier
    assert item["span_id"] == span_id


# ---------------------------------------------------------------------------------------------------------
# Projects


def test_projects_list_get_create_delete(plume, client, traced):
    name = f"py-created-{uuid.uuid4().hex[:8]}"
    created = client.projects.create(name=name, description="made by the client")
    assert created["name"] == name
    assert created["description"] == "made by the client"
    kind, rowid = global_id(created["id"])
    assert kind == "Project" and rowid > 0

    assert client.projects.get(project_name=name) == created
    assert client.projects.get(project_id=created["id"]) == created

    listed = client.projects.list()
    names = [project["name"] for project in listed]
    assert name in names and traced.project in names and "default" in names
    assert len(names) == len(set(names))
    assert [p["name"] for p in client.projects.list(name_contains=name[3:].upper())] == [name]

    updated = client.projects.update(project_name=name, description="changed")
    assert updated == {**created, "description": "changed"}

    with pytest.raises(httpx.HTTPStatusError) as duplicate:
        client.projects.create(name=name)
    assert duplicate.value.response.status_code == 409

    client.projects.delete(project_name=name)
    with pytest.raises(httpx.HTTPStatusError) as gone:
        client.projects.get(project_name=name)
    assert gone.value.response.status_code == 404
    assert name not in [p["name"] for p in client.projects.list()]

    with pytest.raises(httpx.HTTPStatusError) as forbidden:
        client.projects.delete(project_name="default")
    assert forbidden.value.response.status_code == 403


# ---------------------------------------------------------------------------------------------------------
# Spans


def test_get_spans_with_filters(client, traced):
    spans = client.spans.get_spans(project_identifier=traced.project)
    by_name = {span["name"]: span for span in spans}
    assert set(by_name) == {"agent", "llm", "retriever", "chain"}
    # Same project by its global id.
    project_id = client.projects.get(project_name=traced.project)["id"]
    assert {s["name"] for s in client.spans.get_spans(project_identifier=project_id)} == set(by_name)

    agent, llm, retriever = by_name["agent"], by_name["llm"], by_name["retriever"]
    assert global_id(agent["id"])[0] == "Span"
    assert agent["context"] == {"trace_id": traced.trace1, "span_id": traced.agent}
    assert agent["span_kind"] == "AGENT"
    assert agent["parent_id"] is None
    assert agent["status_code"] == "UNSET"
    assert agent["attributes"]["session.id"] == traced.session
    assert agent["attributes"]["input.value"] == "What is the capital of France?"
    assert ISO.match(agent["start_time"]) and ISO.match(agent["end_time"])
    assert agent["start_time"] <= llm["start_time"] <= llm["end_time"] <= agent["end_time"]
    assert llm["parent_id"] == traced.agent
    assert llm["attributes"]["llm.token_count.prompt"] == 12
    assert llm["attributes"]["output.value"] == "Paris"
    assert retriever["status_code"] == "ERROR"
    assert retriever["status_message"] == "index offline"
    assert by_name["chain"]["context"]["trace_id"] == traced.trace2

    def names(**filters) -> set[str]:
        return {span["name"] for span in client.spans.get_spans(project_identifier=traced.project, **filters)}

    assert names(trace_ids=[traced.trace1]) == {"agent", "llm", "retriever"}
    assert names(span_ids=[traced.llm, traced.chain]) == {"llm", "chain"}
    assert names(parent_id="null") == {"agent", "chain"}
    assert names(parent_id=traced.agent) == {"llm", "retriever"}
    assert names(name="llm") == {"llm"}
    assert names(name=["llm", "chain"]) == {"llm", "chain"}
    assert names(span_kind="RETRIEVER") == {"retriever"}
    assert names(span_kind=["AGENT", "CHAIN"]) == {"agent", "chain"}
    assert names(status_code="ERROR") == {"retriever"}
    assert names(status_code=["UNSET", "OK"]) == {"agent", "llm", "chain"}
    assert names(attributes={"llm.token_count.prompt": 12}) == {"llm"}
    assert names(attributes={"user.id": "12345"}) == {"agent"}
    assert names(attributes={"user.id": 12345}) == set()
    assert names(start_time=traced.before, end_time=traced.after + timedelta(seconds=1)) == set(by_name)
    assert names(start_time=traced.after + timedelta(seconds=1)) == set()
    assert names(end_time=traced.before) == set()
    assert len(client.spans.get_spans(project_identifier=traced.project, limit=2)) == 2

    with pytest.raises(httpx.HTTPStatusError) as missing:
        client.spans.get_spans(project_identifier="no-such-project")
    assert missing.value.response.status_code == 404


def test_get_spans_pages_and_delete(plume, client):
    """More spans than one page (the client asks 100 at a time and follows next_cursor)."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    project = f"py-many-{uuid.uuid4().hex[:8]}"
    provider = TracerProvider(resource=Resource.create({"openinference.project.name": project}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{plume.url}/v1/traces"), max_export_batch_size=64)
    )
    tracer = provider.get_tracer("test")
    made = []
    for i in range(130):
        with tracer.start_as_current_span(f"step-{i}") as span:
            span.set_attribute("step", i)
        made.append(hex_span(span))
    provider.shutdown()

    spans = client.spans.get_spans(project_identifier=project, limit=1000)
    assert len(spans) == 130
    assert sorted(s["context"]["span_id"] for s in spans) == sorted(made)
    assert len({s["id"] for s in spans}) == 130
    assert len(client.spans.get_spans(project_identifier=project, limit=120)) == 120

    # Delete by hex id and by global id.
    client.spans.delete(span_identifier=made[0])
    by_id = next(s for s in spans if s["context"]["span_id"] == made[1])
    client.spans.delete(span_identifier=by_id["id"])
    remaining = {s["context"]["span_id"] for s in client.spans.get_spans(project_identifier=project, limit=1000)}
    assert len(remaining) == 128 and made[0] not in remaining and made[1] not in remaining
    with pytest.raises(httpx.HTTPStatusError) as gone:
        client.spans.delete(span_identifier=made[0])
    assert gone.value.response.status_code == 404


def test_span_annotations_round_trip(client, traced):
    name = f"correctness-{uuid.uuid4().hex[:6]}"
    inserted = client.spans.add_span_annotation(
        span_id=traced.llm, annotation_name=name, annotator_kind="LLM", label="correct", score=1,
        explanation="matches the reference", metadata={"model": "gpt-4o"}, sync=True,
    )
    assert list(inserted) == ["id"]
    assert global_id(inserted["id"])[0] == "SpanAnnotation"

    # Same key again: upserted in place, same id.
    again = client.spans.add_span_annotation(
        span_id=traced.llm, annotation_name=name, annotator_kind="HUMAN", label="incorrect", score=0.25, sync=True,
    )
    assert again == inserted

    logged = client.spans.log_span_annotations(
        span_annotations=[
            {"span_id": traced.agent, "name": name, "annotator_kind": "CODE", "result": {"score": 0.5}},
            {"span_id": traced.agent, "name": name, "annotator_kind": "CODE", "result": {"label": "second"},
             "identifier": "run-2", "metadata": {"k": [1, 2]}},
            {"span_id": traced.retriever, "name": "relevance", "annotator_kind": "LLM",
             "result": {"label": "irrelevant", "score": 0, "explanation": "off topic"}},
        ],
        sync=True,
    )
    assert len(logged) == 3
    ids = [item["id"] for item in logged]
    assert len(set(ids)) == 3 and inserted["id"] not in ids
    assert all(global_id(i)[0] == "SpanAnnotation" for i in ids)

    # sync=False: None back, and (Plume) already stored when the 200 arrives.
    assert client.spans.log_span_annotations(
        span_annotations=[{"span_id": traced.chain, "name": name, "annotator_kind": "HUMAN",
                           "result": {"label": "async", "score": 3}}],
        sync=False,
    ) is None
    assert client.spans.add_span_annotation(span_id=traced.chain, annotation_name="tone", label="calm") is None

    annotations = client.spans.get_span_annotations(
        span_ids=[traced.agent, traced.llm, traced.retriever, traced.chain], project_identifier=traced.project,
    )
    assert len(annotations) == 6
    # Newest first (row id descending).
    row_ids = [global_id(a["id"])[1] for a in annotations]
    assert row_ids == sorted(row_ids, reverse=True)
    by_key = {(a["span_id"], a["name"], a["identifier"]): a for a in annotations}
    llm = by_key[(traced.llm, name, "")]
    check_annotation_item(llm, span_id=traced.llm, name=name, kind="HUMAN", label="incorrect", score=0.25,
                          explanation=None, metadata={}, identifier="")
    assert llm["id"] == inserted["id"]
    assert llm["updated_at"] >= llm["created_at"]
    check_annotation_item(by_key[(traced.agent, name, "")], span_id=traced.agent, name=name, kind="CODE",
                          label=None, score=0.5, explanation=None, metadata={}, identifier="")
    check_annotation_item(by_key[(traced.agent, name, "run-2")], span_id=traced.agent, name=name, kind="CODE",
                          label="second", score=None, explanation=None, metadata={"k": [1, 2]},
                          identifier="run-2")
    check_annotation_item(by_key[(traced.retriever, "relevance", "")], span_id=traced.retriever, name="relevance",
                          kind="LLM", label="irrelevant", score=0.0, explanation="off topic", metadata={},
                          identifier="")
    check_annotation_item(by_key[(traced.chain, name, "")], span_id=traced.chain, name=name, kind="HUMAN",
                          label="async", score=3.0, explanation=None, metadata={}, identifier="")
    check_annotation_item(by_key[(traced.chain, "tone", "")], span_id=traced.chain, name="tone", kind="HUMAN",
                          label="calm", score=None, explanation=None, metadata={}, identifier="")
    assert by_key[(traced.agent, name, "")]["id"] == ids[0]
    assert by_key[(traced.agent, name, "run-2")]["id"] == ids[1]
    assert by_key[(traced.retriever, "relevance", "")]["id"] == ids[2]

    # Filters and pagination (the client follows next_cursor).
    only = client.spans.get_span_annotations(
        span_ids=[traced.agent, traced.retriever, traced.chain], project_identifier=traced.project,
        include_annotation_names=["relevance", "tone"],
    )
    assert sorted(a["name"] for a in only) == ["relevance", "tone"]
    without = client.spans.get_span_annotations(
        spans=client.spans.get_spans(project_identifier=traced.project), project_identifier=traced.project,
        exclude_annotation_names=["relevance", "tone"],
    )
    assert sorted(a["span_id"] for a in without) == sorted([traced.agent, traced.agent, traced.llm, traced.chain])
    paged = client.spans.get_span_annotations(
        span_ids=[traced.agent, traced.llm, traced.retriever, traced.chain], project_identifier=traced.project,
        limit=1,
    )
    assert [a["id"] for a in paged] == [a["id"] for a in annotations]

    # Scoped to the project: spans of another project (or unknown ones) are a 404 from the server.
    with pytest.raises(httpx.HTTPStatusError) as elsewhere:
        client.spans.get_span_annotations(span_ids=[traced.llm], project_identifier="default")
    assert elsewhere.value.response.status_code == 404
    with pytest.raises(httpx.HTTPStatusError) as unknown:
        client.spans.get_span_annotations(span_ids=["0000000000000bad"], project_identifier=traced.project)
    assert unknown.value.response.status_code == 404


def test_span_annotations_dataframe(client, traced):
    import pandas as pd

    client.spans.log_span_annotations(
        span_annotations=[
            {"span_id": traced.llm, "name": "df-score", "annotator_kind": "LLM",
             "result": {"label": "good", "score": 0.9, "explanation": "fine"}, "metadata": {"by": "judge"}},
            {"span_id": traced.agent, "name": "df-score", "annotator_kind": "HUMAN", "result": {"score": 0.1}},
        ],
        sync=True,
    )
    df = client.spans.get_span_annotations_dataframe(
        span_ids=[traced.llm, traced.agent], project_identifier=traced.project, include_annotation_names=["df-score"],
    )
    assert df.index.name == "span_id"
    assert set(df.columns) == {
        "id", "created_at", "updated_at", "source", "user_id", "annotation_name", "annotator_kind", "metadata",
        "identifier", "result.label", "result.score", "result.explanation",
    }
    assert sorted(df.index) == sorted([traced.llm, traced.agent])
    llm = df.loc[traced.llm]
    assert llm["annotation_name"] == "df-score"
    assert llm["annotator_kind"] == "LLM"
    assert llm["result.label"] == "good"
    assert llm["result.score"] == pytest.approx(0.9)
    assert llm["result.explanation"] == "fine"
    assert llm["metadata"] == {"by": "judge"}
    assert llm["source"] == "API"
    assert llm["identifier"] == ""
    agent = df.loc[traced.agent]
    assert agent["annotator_kind"] == "HUMAN"
    assert agent["result.score"] == pytest.approx(0.1)
    assert pd.isna(agent["result.label"]) and pd.isna(agent["result.explanation"])  # None; pandas may say NaN
    assert global_id(agent["id"])[0] == "SpanAnnotation"

    # From a spans list and from a spans dataframe-like frame.
    from_spans = client.spans.get_span_annotations_dataframe(
        spans=client.spans.get_spans(project_identifier=traced.project, name="llm"),
        project_identifier=traced.project, include_annotation_names=["df-score"],
    )
    assert list(from_spans.index) == [traced.llm]
    frame = pd.DataFrame({"context.span_id": [traced.agent]})
    from_frame = client.spans.get_span_annotations_dataframe(
        spans_dataframe=frame, project_identifier=traced.project, include_annotation_names=["df-score"],
    )
    assert list(from_frame.index) == [traced.agent]
    assert from_frame.loc[traced.agent, "result.score"] == pytest.approx(0.1)


def test_span_annotations_from_dataframe(client, traced):
    import pandas as pd

    frame = pd.DataFrame(
        {"label": ["yes", "no"], "score": [1.0, 0.0]}, index=pd.Index([traced.llm, traced.chain], name="span_id"),
    )
    inserted = client.spans.log_span_annotations_dataframe(
        dataframe=frame, annotation_name="from-df", annotator_kind="CODE", sync=True,
    )
    assert len(inserted) == 2
    got = client.spans.get_span_annotations(
        span_ids=[traced.llm, traced.chain], project_identifier=traced.project, include_annotation_names=["from-df"],
    )
    assert {(a["span_id"], a["result"]["label"], a["result"]["score"], a["annotator_kind"]) for a in got} == {
        (traced.llm, "yes", 1.0, "CODE"), (traced.chain, "no", 0.0, "CODE"),
    }
    assert {a["id"] for a in got} == {i["id"] for i in inserted}


def test_span_notes(client, traced):
    first = client.spans.add_span_note(span_id=traced.retriever, note="  index was down  ")
    second = client.spans.add_span_note(span_id=traced.retriever, note="retried later")
    assert list(first) == ["id"] and global_id(first["id"])[0] == "SpanAnnotation"
    assert first["id"] != second["id"]

    # Notes are hidden by default (the client excludes "note") ...
    default = client.spans.get_span_annotations(span_ids=[traced.retriever], project_identifier=traced.project)
    assert "note" not in {a["name"] for a in default}
    # ... even when asked for by name (include and exclude both apply, as in Phoenix) ...
    assert client.spans.get_span_annotations(
        span_ids=[traced.retriever], project_identifier=traced.project, include_annotation_names=["note"],
    ) == []
    # ... and accumulate, each with its own identifier.
    notes = client.spans.get_span_annotations(
        span_ids=[traced.retriever], project_identifier=traced.project, include_annotation_names=["note"],
        exclude_annotation_names=[],
    )
    assert sorted(n["result"]["explanation"] for n in notes) == ["index was down", "retried later"]
    assert {n["id"] for n in notes} == {first["id"], second["id"]}
    for note in notes:
        assert note["annotator_kind"] == "HUMAN"
        assert note["result"]["label"] is None and note["result"]["score"] is None
        assert note["identifier"] != ""
        assert note["span_id"] == traced.retriever
    assert notes[0]["identifier"] != notes[1]["identifier"]

    with pytest.raises(httpx.HTTPStatusError) as unknown:
        client.spans.add_span_note(span_id="00000000deadbeef", note="nobody home")
    assert unknown.value.response.status_code == 404


def test_sync_annotation_for_unknown_span_is_404_and_writes_nothing(client, plume, traced):
    with pytest.raises(httpx.HTTPStatusError) as unknown:
        client.spans.log_span_annotations(
            span_annotations=[
                {"span_id": traced.chain, "name": "all-or-nothing", "annotator_kind": "HUMAN", "result": {"score": 1}},
                {"span_id": "00000000000dead1", "name": "all-or-nothing", "annotator_kind": "HUMAN",
                 "result": {"score": 1}},
            ],
            sync=True,
        )
    assert unknown.value.response.status_code == 404
    assert "00000000000dead1" in unknown.value.response.text
    assert client.spans.get_span_annotations(
        span_ids=[traced.chain], project_identifier=traced.project, include_annotation_names=["all-or-nothing"],
    ) == []

    with pytest.raises(httpx.HTTPStatusError) as reserved:
        client.spans.add_span_annotation(span_id=traced.chain, annotation_name="note", label="x", sync=True)
    assert reserved.value.response.status_code == 400


# ---------------------------------------------------------------------------------------------------------
# Traces and sessions


def trace_annotations(plume, project: str, trace_ids: list[str], **params) -> list[dict]:
    response = plume.http.get(
        f"/v1/projects/{project}/trace_annotations", params={"trace_ids": trace_ids, **params},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_trace_annotations(plume, client, traced):
    inserted = client.traces.add_trace_annotation(
        trace_id=traced.trace1, annotation_name="solved", annotator_kind="LLM", label="yes", score=1,
        explanation="answered", metadata={"judge": "v1"}, sync=True,
    )
    assert list(inserted) == ["id"] and global_id(inserted["id"])[0] == "TraceAnnotation"
    logged = client.traces.log_trace_annotations(
        trace_annotations=[
            {"trace_id": traced.trace1, "name": "solved", "annotator_kind": "HUMAN", "result": {"label": "no"}},
            {"trace_id": traced.trace2, "name": "solved", "annotator_kind": "CODE", "result": {"score": 0.5},
             "identifier": "batch"},
        ],
        sync=True,
    )
    assert [item["id"] for item in logged][0] == inserted["id"]
    assert client.traces.log_trace_annotations(
        trace_annotations=[{"trace_id": traced.trace2, "name": "latency", "annotator_kind": "CODE",
                            "result": {"label": "slow"}}],
    ) is None

    items = trace_annotations(plume, traced.project, [traced.trace1, traced.trace2])
    assert len(items) == 3
    by_key = {(a["trace_id"], a["name"], a["identifier"]): a for a in items}
    first = by_key[(traced.trace1, "solved", "")]
    assert list(first) == [
        "id", "created_at", "updated_at", "source", "user_id", "name", "annotator_kind", "result", "metadata",
        "identifier", "trace_id",
    ]
    assert first["id"] == inserted["id"]
    assert first["annotator_kind"] == "HUMAN"
    assert first["result"] == {"label": "no", "score": None, "explanation": None}
    assert first["metadata"] == {}
    assert first["source"] == "API"
    second = by_key[(traced.trace2, "solved", "batch")]
    assert second["id"] == logged[1]["id"]
    assert second["result"] == {"label": None, "score": 0.5, "explanation": None}
    assert by_key[(traced.trace2, "latency", "")]["result"]["label"] == "slow"

    import pandas as pd

    frame = pd.DataFrame({"trace_id": [traced.trace2], "label": ["from-frame"]})
    client.traces.log_trace_annotations_dataframe(dataframe=frame, annotation_name="df", annotator_kind="HUMAN")
    [from_frame] = trace_annotations(plume, traced.project, [traced.trace2], include_annotation_names=["df"])
    assert from_frame["result"]["label"] == "from-frame"

    with pytest.raises(httpx.HTTPStatusError) as unknown:
        client.traces.add_trace_annotation(
            trace_id="0" * 31 + "1", annotation_name="solved", label="x", sync=True,
        )
    assert unknown.value.response.status_code == 404


def test_get_traces(client, traced):
    traces = client.traces.get_traces(project_identifier=traced.project, include_spans=True)
    assert [t["trace_id"] for t in traces] == [traced.trace2, traced.trace1]  # newest first by default
    project_id = client.projects.get(project_name=traced.project)["id"]
    first = traces[1]
    assert global_id(first["id"])[0] == "Trace"
    assert first["project_id"] == project_id
    assert ISO.match(first["start_time"]) and ISO.match(first["end_time"])
    assert first["token_count_prompt"] == 12
    assert first["token_count_completion"] == 3
    assert first["token_count_total"] == 15
    assert sorted(s["name"] for s in first["spans"]) == ["agent", "llm", "retriever"]
    ordered = client.traces.get_traces(project_identifier=traced.project, sort="start_time", order="asc")
    assert [t["trace_id"] for t in ordered] == [traced.trace1, traced.trace2]
    assert "spans" not in ordered[0] or not ordered[0]["spans"]
    assert len(client.traces.get_traces(project_identifier=traced.project, limit=1)) == 1
    by_latency = client.traces.get_traces(project_identifier=traced.project, sort="latency_ms", order="desc")
    latencies = [datetime.fromisoformat(t["end_time"]) - datetime.fromisoformat(t["start_time"]) for t in by_latency]
    assert latencies == sorted(latencies, reverse=True) and len(latencies) == 2

    def trace_ids(**filters) -> list[str]:
        return [t["trace_id"] for t in client.traces.get_traces(project_identifier=traced.project, order="asc",
                                                                **filters)]

    assert trace_ids(session_id=traced.session) == [traced.trace1]
    assert trace_ids(session_id=["no-such-session"]) == []
    # error / latency filters (the client sends them to servers >= 20.8.0).
    assert trace_ids(error=True) == [traced.trace1]  # the retriever span failed
    assert trace_ids(error=False) == [traced.trace2]
    assert trace_ids(min_latency_ms=0) == [traced.trace1, traced.trace2]
    assert trace_ids(max_latency_ms=60_000) == [traced.trace1, traced.trace2]
    assert trace_ids(min_latency_ms=60_000) == []
    assert trace_ids(error=True, max_latency_ms=60_000) == [traced.trace1]
    assert [t["trace_id"] for t in client.traces.get_traces(
        project_identifier=traced.project, start_time=traced.after + timedelta(seconds=1))] == []


def test_session_annotations(plume, client, traced):
    inserted = client.sessions.add_session_annotation(
        session_id=traced.session, annotation_name="resolved", label="yes", score=1, sync=True,
    )
    assert global_id(inserted["id"])[0] == "ProjectSessionAnnotation"
    response = plume.http.get(
        f"/v1/projects/{traced.project}/session_annotations", params={"session_ids": [traced.session]},
    )
    assert response.status_code == 200, response.text
    [item] = response.json()["data"]
    assert item["id"] == inserted["id"]
    assert item["session_id"] == traced.session
    assert item["result"] == {"label": "yes", "score": 1.0, "explanation": None}


# ---------------------------------------------------------------------------------------------------------
# The seed snippet, verbatim


def test_seed_snippet(plume):
    project = f"py-seed-{uuid.uuid4().hex[:8]}"
    url = plume.url
    provider = provider_for(plume, project)
    tracer = provider.get_tracer("app")
    with tracer.start_as_current_span("answer") as span:
        pass
    provider.shutdown()
    span_id = span.get_span_context().span_id.to_bytes(8, "big").hex()

    response = httpx.post(
        f"{url}/v1/span_annotations?sync=false",
        json={"data": [{"span_id": span_id, "name": "user feedback", "annotator_kind": "HUMAN",
                        "result": {"label": "thumbs-up", "score": 1}, "metadata": {}}]},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": []}

    listed = httpx.get(f"{url}/v1/projects/{project}/span_annotations", params={"span_ids": span_id})
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["next_cursor"] is None
    [item] = body["data"]
    check_annotation_item(item, span_id=span_id, name="user feedback", kind="HUMAN", label="thumbs-up", score=1.0,
                          explanation=None, metadata={}, identifier="")


def test_seed_snippet_annotation_before_span(plume):
    """The annotation is posted before the span is exported; it shows up once the span arrives."""
    project = f"py-early-{uuid.uuid4().hex[:8]}"
    url = plume.url
    provider = provider_for(plume, project)
    tracer = provider.get_tracer("app")
    span = tracer.start_span("answer")  # started, not yet ended, so not exported
    span_id = span.get_span_context().span_id.to_bytes(8, "big").hex()

    response = httpx.post(
        f"{url}/v1/span_annotations?sync=false",
        json={"data": [{"span_id": span_id, "name": "user feedback", "annotator_kind": "HUMAN",
                        "result": {"label": "thumbs-up", "score": 1}, "metadata": {}}]},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": []}
    # Not there yet: the project does not even exist.
    assert httpx.get(f"{url}/v1/projects/{project}/span_annotations", params={"span_ids": span_id}).status_code == 404

    span.end()  # exported now (SimpleSpanProcessor)
    provider.shutdown()

    listed = httpx.get(f"{url}/v1/projects/{project}/span_annotations", params={"span_ids": span_id})
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["data"]
    check_annotation_item(item, span_id=span_id, name="user feedback", kind="HUMAN", label="thumbs-up", score=1.0,
                          explanation=None, metadata={}, identifier="")
    # And the Phoenix client reads it too.
    [seen] = Client(base_url=url).spans.get_span_annotations(span_ids=[span_id], project_identifier=project)
    assert seen == item
