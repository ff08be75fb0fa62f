"""Sessions with Phoenix's own client (`arize-phoenix-client` 3.5.0): spans carrying `session.id` sent by the
OpenTelemetry SDK over OTLP, read back with `get_session_turns` and `get_sessions_dataframe`, then deleted."""

import base64
import time
import uuid

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from phoenix.client import Client


def hex_trace(span) -> str:
    return span.get_span_context().trace_id.to_bytes(16, "big").hex()


class Conversations:
    """One project: session A with three turns (each a root CHAIN span with input/output and an LLM child),
    session B with one turn, and one trace without a session."""

    def __init__(self, plume):
        tag = uuid.uuid4().hex[:8]
        self.project = f"py-sessions-{tag}"
        self.a, self.b = f"chat-a-{tag}", f"chat-b-{tag}"
        provider = TracerProvider(resource=Resource.create({"openinference.project.name": self.project}))
        provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{plume.url}/v1/traces")))
        tracer = provider.get_tracer("sessions-test")
        self.turns = [
            (self.a, "Hi, I need a refund", "Sure, what is the order number?"),
            (self.a, "It is 1234", "Refund issued for order 1234."),
            (self.a, "Thanks!", "You're welcome."),
            (self.b, '{"question": "weather?"}', "Sunny"),
            (None, "no session here", "ok"),
        ]
        self.trace_ids = []
        for session, question, answer in self.turns:
            with tracer.start_as_current_span("turn") as root:
                root.set_attribute("openinference.span.kind", "CHAIN")
                if session:
                    root.set_attribute("session.id", session)
                root.set_attribute("input.value", question)
                if question.startswith("{"):
                    root.set_attribute("input.mime_type", "application/json")
                root.set_attribute("output.value", answer)
                with tracer.start_as_current_span("llm") as llm:
                    llm.set_attribute("openinference.span.kind", "LLM")
                    if session:
                        llm.set_attribute("session.id", session)
                    llm.set_attribute("llm.token_count.prompt", 7)
                    llm.set_attribute("llm.token_count.completion", 2)
            self.trace_ids.append(hex_trace(root))
            time.sleep(0.005)
        provider.shutdown()


@pytest.fixture(scope="module")
def conversations(plume) -> Conversations:
    return Conversations(plume)


@pytest.fixture()
def client(plume) -> Client:
    return Client(base_url=plume.url)


def test_get_session_turns_reads_each_turns_root_input_and_output(client, conversations):
    turns = client.sessions.get_session_turns(session_id=conversations.a)
    assert [turn["trace_id"] for turn in turns] == conversations.trace_ids[:3]
    assert [turn["input"]["value"] for turn in turns] == [q for s, q, _ in conversations.turns[:3]]
    assert [turn["output"]["value"] for turn in turns] == [a for s, _, a in conversations.turns[:3]]
    starts = [turn["start_time"] for turn in turns]
    assert starts == sorted(starts)
    for turn in turns:
        assert turn["root_span"]["parent_id"] is None
        assert turn["root_span"]["name"] == "turn"
        assert turn["end_time"] >= turn["start_time"]

    # By global id too; the mime type comes along when the span set it.
    session = client.sessions.get(session_id=conversations.b)
    kind, _ = base64.b64decode(session["id"]).decode().split(":")
    assert kind == "ProjectSession"
    (turn,) = client.sessions.get_session_turns(session_id=session["id"])
    assert turn["input"] == {"value": '{"question": "weather?"}', "mime_type": "application/json"}
    assert turn["output"]["value"] == "Sunny"
    assert session["token_count_prompt"] == 7 and session["token_count_completion"] == 2
    assert session["token_count_total"] == 9


def test_get_sessions_dataframe_counts_the_traces_of_each_session(client, conversations):
    frame = client.sessions.get_sessions_dataframe(project_name=conversations.project)
    assert list(frame.columns) == ["id", "session_id", "project_id", "start_time", "end_time", "num_traces"]
    assert frame["session_id"].tolist() == [conversations.a, conversations.b]
    assert frame["num_traces"].tolist() == [3, 1]
    project_id = client.projects.get(project_name=conversations.project)["id"]
    assert set(frame["project_id"]) == {project_id}
    # By project id, and with a limit smaller than the page (the client pages with cursors).
    limited = client.sessions.get_sessions_dataframe(project_id=project_id, limit=1)
    assert limited["session_id"].tolist() == [conversations.a]
    listed = client.sessions.list(project_name=conversations.project)
    assert [len(s["traces"]) for s in listed] == [3, 1]


def test_unknown_session_is_a_404(client):
    with pytest.raises(httpx.HTTPStatusError) as error:
        client.sessions.get(session_id="no-such-session")
    assert error.value.response.status_code == 404
    assert "no-such-session" in error.value.response.text


def test_delete_and_bulk_delete_take_the_sessions_traces(client, plume):
    conversations = Conversations(plume)
    assert len(client.sessions.get_session_turns(session_id=conversations.a)) == 3
    client.sessions.delete(session_id=conversations.a)
    with pytest.raises(httpx.HTTPStatusError) as error:
        client.sessions.get(session_id=conversations.a)
    assert error.value.response.status_code == 404
    spans = client.spans.get_spans(project_identifier=conversations.project, limit=100)
    assert sorted({s["context"]["trace_id"] for s in spans}) == sorted(conversations.trace_ids[3:])

    client.sessions.bulk_delete(session_ids=[conversations.b, "never-was"])
    assert client.sessions.get_sessions_dataframe(project_name=conversations.project).empty
    spans = client.spans.get_spans(project_identifier=conversations.project, limit=100)
    assert {s["context"]["trace_id"] for s in spans} == {conversations.trace_ids[4]}
    with pytest.raises(httpx.HTTPStatusError) as error:
        client.sessions.delete(session_id=conversations.a)
    assert error.value.response.status_code == 404
