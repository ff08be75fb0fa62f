"""`POST /v1/spans` with Phoenix's own client (`arize-phoenix-client` 3.5.0): `get_spans_dataframe` with each
construct of the filter language, the RAG helpers, and the notebook loop of pulling 👎 spans, judging them and
filtering on the verdicts. Spans come from the OpenTelemetry SDK; every frame is compared with the expected rows."""

import json
import time
import uuid

import httpx
import pandas as pd
import pytest
from phoenix.client import Client
from phoenix.client.helpers.spans import get_input_output_context, get_retrieved_documents
from phoenix.client.types.spans import SpanQuery

from test_phoenix_client import hex_span, hex_trace, provider_for


class Rag:
    """Two traces in a fresh project:
    trace 1: rag (CHAIN, topic product) -> retrieve (RETRIEVER, 2 documents) + generate (LLM gpt-4o, 30+10 tokens);
    trace 2: chat (CHAIN, topic smalltalk) -> answer (LLM claude, ERROR, 5+5 tokens)."""

    def __init__(self, plume):
        self.project = f"span-query-{uuid.uuid4().hex[:8]}"
        provider = provider_for(plume, self.project)
        tracer = provider.get_tracer("test")
        with tracer.start_as_current_span("rag") as rag:
            rag.set_attribute("openinference.span.kind", "CHAIN")
            rag.set_attribute("input.value", "What is Plume?")
            rag.set_attribute("output.value", "A trace server.")
            rag.set_attribute("metadata", json.dumps({"topic": "product"}))
            with tracer.start_as_current_span("retrieve") as retrieve:
                retrieve.set_attribute("openinference.span.kind", "RETRIEVER")
                retrieve.set_attribute("input.value", "What is Plume?")
                retrieve.set_attribute("retrieval.documents.0.document.content", "Plume stores traces.")
                retrieve.set_attribute("retrieval.documents.0.document.score", 0.9)
                retrieve.set_attribute("retrieval.documents.1.document.content", "Plume speaks OTLP.")
                retrieve.set_attribute("retrieval.documents.1.document.score", 0.4)
            with tracer.start_as_current_span("generate") as generate:
                generate.set_attribute("openinference.span.kind", "LLM")
                generate.set_attribute("llm.model_name", "gpt-4o")
                generate.set_attribute("llm.token_count.prompt", 30)
                generate.set_attribute("llm.token_count.completion", 10)
        time.sleep(0.01)
        with tracer.start_as_current_span("chat") as chat:
            chat.set_attribute("openinference.span.kind", "CHAIN")
            chat.set_attribute("input.value", "hello there")
            chat.set_attribute("metadata", json.dumps({"topic": "smalltalk"}))
            with tracer.start_as_current_span("answer") as answer:
                answer.set_attribute("openinference.span.kind", "LLM")
                answer.set_attribute("llm.model_name", "claude")
                answer.set_attribute("llm.token_count.prompt", 5)
                answer.set_attribute("llm.token_count.completion", 5)
                from opentelemetry.trace import Status, StatusCode

                answer.set_status(Status(StatusCode.ERROR, "rate limited"))
        provider.shutdown()
        self.rag, self.retrieve, self.generate, self.chat, self.answer = map(
            hex_span, (rag, retrieve, generate, chat, answer)
        )
        self.trace1, self.trace2 = hex_trace(rag), hex_trace(chat)


@pytest.fixture(scope="module")
def rag(plume) -> Rag:
    return Rag(plume)


@pytest.fixture(scope="module")
def client(plume) -> Client:
    return Client(base_url=plume.url)


def frame(client: Client, rag: Rag, condition: str | None = None, **kwargs) -> pd.DataFrame:
    query = SpanQuery().where(condition) if condition else None
    return client.spans.get_spans_dataframe(query=query, project_identifier=rag.project, **kwargs)


def test_full_frame_newest_first(client, rag):
    df = frame(client, rag)
    assert df.index.name == "context.span_id"
    # Children end (and are stored) before their parents; newest first.
    assert list(df.index) == [rag.chat, rag.answer, rag.rag, rag.generate, rag.retrieve]
    for column in ["name", "span_kind", "parent_id", "start_time", "end_time", "status_code", "status_message",
                   "events", "context.span_id", "context.trace_id", "attributes.input.value",
                   "attributes.llm.model_name"]:
        assert column in df.columns, column
    assert str(df["start_time"].dtype) == "datetime64[ns, UTC]"
    row = df.loc[rag.answer]
    assert (row["name"], row["span_kind"], row["status_code"], row["status_message"]) == (
        "answer", "LLM", "ERROR", "rate limited")
    assert (row["parent_id"], row["context.trace_id"]) == (rag.chat, rag.trace2)
    assert row["attributes.llm.model_name"] == "claude"
    assert pd.isna(df.loc[rag.rag, "parent_id"])


CASES = {
    "span_kind == 'LLM'": ["generate", "answer"],
    "name != 'rag' and parent_id is None": ["chat"],
    "status_code == 'ERROR'": ["answer"],
    "parent_id is not None": ["retrieve", "generate", "answer"],
    "llm.model_name == 'gpt-4o'": ["generate"],
    "'Plume' in input.value": ["rag", "retrieve"],
    "'Plume' not in input.value": ["chat"],
    "span_kind in ['RETRIEVER', 'CHAIN']": ["rag", "retrieve", "chat"],
    "span_kind not in ('LLM', 'CHAIN')": ["retrieve"],
    "metadata['topic'] == 'smalltalk'": ["chat"],
    "attributes['llm']['model_name'] == 'claude'": ["answer"],
    "cumulative_token_count.total >= 40": ["rag", "generate"],
    "cumulative_token_count.prompt == 5": ["chat", "answer"],
    "cumulative_token_count.completion < 10 and span_kind == 'LLM'": ["answer"],
    "latency_ms >= 0 and not span_kind == 'CHAIN'": ["retrieve", "generate", "answer"],
    "span_kind == 'LLM' or span_kind == 'RETRIEVER'": ["retrieve", "generate", "answer"],
}


@pytest.mark.parametrize("condition", list(CASES))
def test_each_construct(client, rag, condition):
    expected = {getattr(rag, name) for name in CASES[condition]}
    df = frame(client, rag, condition)
    assert set(df.index) == expected, condition


def test_ids_and_times(client, rag):
    assert list(frame(client, rag, f"span_id == '{rag.generate}'").index) == [rag.generate]
    assert set(frame(client, rag, f"trace_id == '{rag.trace2}'").index) == {rag.chat, rag.answer}
    chat_start = frame(client, rag, f"span_id == '{rag.chat}'")["start_time"].iloc[0]
    later = frame(client, rag, f"start_time >= '{chat_start.isoformat()}'")
    assert set(later.index) == {rag.chat, rag.answer}
    earlier = frame(client, rag, f"end_time < '{chat_start.isoformat()}'")
    assert set(earlier.index) == {rag.rag, rag.retrieve, rag.generate}


def test_select_rename_index_and_limit(client, rag):
    query = (SpanQuery().where("parent_id is None").select("trace_id", "input.value").rename(**{"input.value": "q"})
             .with_index("trace_id"))
    df = client.spans.get_spans_dataframe(query=query, project_identifier=rag.project)
    assert df.index.name == "context.trace_id"
    assert df.to_dict()["q"] == {rag.trace1: "What is Plume?", rag.trace2: "hello there"}
    limited = client.spans.get_spans_dataframe(query=SpanQuery().where("span_kind == 'LLM'"),
                                               project_identifier=rag.project, limit=1)
    assert list(limited.index) == [rag.answer]
    roots = client.spans.get_spans_dataframe(project_identifier=rag.project, root_spans_only=True)
    assert list(roots.index) == [rag.chat, rag.rag]


def test_unsupported_construct_is_a_clear_422(client, rag):
    with pytest.raises(httpx.HTTPStatusError) as error:
        frame(client, rag, "len(name) > 3")
    assert error.value.response.status_code == 422
    assert "function call" in error.value.response.text
    with pytest.raises(httpx.HTTPStatusError) as error:
        frame(client, rag, "name ==")
    assert error.value.response.status_code == 422
    assert "invalid Python expression" in error.value.response.text


def test_retrieved_documents_and_context(client, rag):
    docs = get_retrieved_documents(client, project_name=rag.project)
    assert list(docs.index.names) == ["context.span_id", "document_position"]
    assert list(docs.index) == [(rag.retrieve, 0), (rag.retrieve, 1)]
    assert list(docs["document"]) == ["Plume stores traces.", "Plume speaks OTLP."]
    assert list(docs["document_score"]) == pytest.approx([0.9, 0.4])
    assert set(docs["context.trace_id"]) == {rag.trace1}
    assert set(docs["input"]) == {"What is Plume?"}

    qa = get_input_output_context(client, project_name=rag.project)
    assert list(qa.index) == [rag.rag]
    row = qa.loc[rag.rag]
    assert (row["input"], row["output"]) == ("What is Plume?", "A trace server.")
    assert row["context"] == "Plume stores traces.\n\nPlume speaks OTLP."


def test_judge_loop(client, rag):
    """Pull the 👎 spans, judge them, log the verdicts and filter on them."""
    client.spans.log_span_annotations(
        span_annotations=[
            {"span_id": rag.chat, "name": "user feedback", "annotator_kind": "HUMAN",
             "result": {"label": "thumbs-down", "score": 0.0}},
            {"span_id": rag.rag, "name": "user feedback", "annotator_kind": "HUMAN",
             "result": {"label": "thumbs-up", "score": 1.0}},
        ],
        sync=True,
    )
    disliked = frame(client, rag, "annotations['user feedback'].label == 'thumbs-down'")
    assert list(disliked.index) == [rag.chat]
    assert list(frame(client, rag, "evals['user feedback'].score > 0.5").index) == [rag.rag]

    annotations = client.spans.get_span_annotations_dataframe(
        spans_dataframe=disliked, project_identifier=rag.project, include_annotation_names=["user feedback"])
    assert list(annotations.index) == [rag.chat]
    assert annotations.loc[rag.chat, "result.label"] == "thumbs-down"

    verdicts = pd.DataFrame(
        {"label": ["unhelpful"], "score": [0.2], "explanation": ["Greets instead of answering."]},
        index=pd.Index(list(disliked.index), name="span_id"),
    )
    client.spans.log_span_annotations_dataframe(dataframe=verdicts, annotation_name="judge", annotator_kind="LLM")
    judged = pd.DataFrame()
    for _ in range(50):  # logged without sync=True: stored by the batching writer shortly after
        judged = frame(client, rag, "annotations['judge'].label == 'unhelpful' and evals['judge'].score < 0.5")
        if not judged.empty:
            break
        time.sleep(0.1)
    assert list(judged.index) == [rag.chat]
    explained = frame(client, rag, "'instead' in annotations['judge'].explanation")
    assert list(explained.index) == [rag.chat]
    assert frame(client, rag, "annotations['judge'].label is None and parent_id is None").index.tolist() == [rag.rag]
