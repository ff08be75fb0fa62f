"""The OpenTelemetry Python SDK's own exporters, pointed at Plume, land spans in the right project."""

import uuid

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor


def spans_of(plume, project: str) -> list[dict]:
    response = plume.http.get(f"/v1/projects/{project}/spans", params={"limit": 1000})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_http_protobuf_exporter_uses_the_resource_project(plume):
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    project = f"py-http-{uuid.uuid4().hex[:8]}"
    provider = TracerProvider(resource=Resource.create({"openinference.project.name": project}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{plume.url}/v1/traces")))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("agent") as root:
        root.set_attribute("openinference.span.kind", "AGENT")
        root.set_attribute("input.value", "What is the capital of France?")
        with tracer.start_as_current_span("llm") as child:
            child.set_attribute("openinference.span.kind", "LLM")
            child.set_attribute("llm.token_count.prompt", 12)
            child.set_attribute("output.value", "Paris")
        # The seed snippet: the hex id Phoenix clients compute.
        root_id = root.get_span_context().span_id.to_bytes(8, "big").hex()
    provider.shutdown()

    spans = spans_of(plume, project)
    by_name = {span["name"]: span for span in spans}
    assert set(by_name) == {"agent", "llm"}
    assert by_name["agent"]["context"]["span_id"] == root_id
    assert by_name["agent"]["span_kind"] == "AGENT"
    assert by_name["llm"]["parent_id"] == root_id
    assert by_name["llm"]["attributes"]["llm.token_count.prompt"] == 12
    assert by_name["llm"]["attributes"]["output.value"] == "Paris"


def test_grpc_exporter_uses_the_header_project(plume):
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    project = f"py-grpc-{uuid.uuid4().hex[:8]}"
    exporter = OTLPSpanExporter(endpoint=plume.grpc_endpoint, insecure=True, headers={"x-project-name": project})
    provider = TracerProvider(resource=Resource.create({"openinference.project.name": "ignored"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("test").start_as_current_span("grpc-span"):
        pass
    provider.shutdown()

    assert [span["name"] for span in spans_of(plume, project)] == ["grpc-span"]
    assert plume.http.get("/v1/projects/ignored").status_code == 404


def test_phoenix_otel_register(plume):
    from phoenix.otel import register

    project = f"py-phoenix-{uuid.uuid4().hex[:8]}"
    provider = register(
        project_name=project, endpoint=f"{plume.url}/v1/traces", batch=False, set_global_tracer_provider=False
    )
    with provider.get_tracer("test").start_as_current_span("registered"):
        pass
    provider.shutdown()
    assert [span["name"] for span in spans_of(plume, project)] == ["registered"]
