"""Accounts (`plume serve --auth on`) seen by real clients: Phoenix's own client with an API key (argument
and `PHOENIX_API_KEY`), the OpenTelemetry SDK's OTLP exporters over HTTP and gRPC (headers argument and
`OTEL_EXPORTER_OTLP_HEADERS`), `phoenix.otel.register`, raw gRPC, and plain httpx for logins, users, keys and
roles. Every test runs against the shared `plume_auth` server, so names and emails are unique per test."""

import base64
import time
import uuid
from datetime import datetime, timedelta, timezone

import grpc
import httpx
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from phoenix.client import Client

NOT_AUTHENTICATED = "Not authenticated: log in or send Authorization: Bearer <API key>\n"
LOGIN_FAILED = "Invalid email or password"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def global_id(value: str) -> tuple[str, int]:
    kind, _, rowid = base64.b64decode(value).decode().partition(":")
    return kind, int(rowid)


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


# ---------------------------------------------------------------------------------------------------------
# Helpers: sessions, users, keys, spans


def login(plume_auth, email: str, password: str) -> httpx.Client:
    """A client holding a session cookie (kept by httpx's own cookie jar)."""
    session = httpx.Client(base_url=plume_auth.url, timeout=10)
    response = session.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["email"] == email
    assert session.cookies.get("plume_session"), response.headers
    return session


@pytest.fixture(scope="module")
def admin(plume_auth) -> httpx.Client:
    session = login(plume_auth, plume_auth.admin_email, plume_auth.admin_password)
    yield session
    session.close()


class Account:
    """A user made by the admin, with its password and (after `.login()`) a session."""

    def __init__(self, plume_auth, admin, role: str):
        self.email = f"{unique(role.lower())}@example.org"
        self.password = f"pw-{uuid.uuid4().hex}"
        response = admin.post("/v1/users", json={"user": {"email": self.email, "role": role, "password": self.password}})
        assert response.status_code == 201, response.text
        body = response.json()
        assert "invite_url" not in body
        self.user = body["data"]
        assert self.user["email"] == self.email and self.user["role"] == role and self.user["active"] is True
        assert global_id(self.user["id"])[0] == "User"
        self.id = self.user["id"]
        self.plume = plume_auth

    def login(self) -> httpx.Client:
        return login(self.plume, self.email, self.password)

    def personal_key(self, session: httpx.Client | None = None, **fields) -> dict:
        """`POST /v1/user/api_keys` over the user's cookie session."""
        own = session is None
        session = session or self.login()
        response = session.post("/v1/user/api_keys", json={"data": {"name": unique("personal"), **fields}})
        if own:
            session.close()
        assert response.status_code == 201, response.text
        created = response.json()["data"]
        assert global_id(created["id"])[0] == "UserApiKey"
        assert created["key"].startswith("plume_") and created["key"].startswith(created["prefix"])
        return created


def service_key(admin: httpx.Client, **fields) -> dict:
    """`POST /v1/system/api_keys` as the admin."""
    response = admin.post("/v1/system/api_keys", json={"data": {"name": unique("service"), **fields}})
    assert response.status_code == 201, response.text
    created = response.json()["data"]
    assert global_id(created["id"])[0] == "SystemApiKey"
    assert created["key"].startswith("plume_") and created["key"].startswith(created["prefix"])
    return created


def finished_spans(project: str, names: list[str]) -> list:
    """Spans made by the OpenTelemetry SDK (kept in memory, exported by the test itself)."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"openinference.project.name": project}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("auth-test")
    for name in names:
        with tracer.start_as_current_span(name) as span:
            span.set_attribute("openinference.span.kind", "CHAIN")
    spans = list(memory.get_finished_spans())
    provider.shutdown()
    assert [s.name for s in spans] == names
    return spans


def hex_id(span) -> str:
    return span.get_span_context().span_id.to_bytes(8, "big").hex()


def http_exporter(plume_auth, **kwargs):
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=f"{plume_auth.url}/v1/traces", timeout=10, **kwargs)


def grpc_exporter(plume_auth, **kwargs):
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=plume_auth.grpc_endpoint, insecure=True, timeout=10, **kwargs)


def ingest(plume_auth, key: str, project: str, names: list[str]) -> dict[str, str]:
    """Sends spans over OTLP/HTTP with `key`; returns {name: hex span id}."""
    spans = finished_spans(project, names)
    exporter = http_exporter(plume_auth, headers=bearer(key))
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    exporter.shutdown()
    return {s.name: hex_id(s) for s in spans}


def span_names(plume_auth, admin: httpx.Client, project: str) -> list[str] | None:
    """The names of a project's spans (read as the admin), or None when the project does not exist."""
    response = admin.get(f"/v1/projects/{project}/spans", params={"limit": 1000})
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    return sorted(span["name"] for span in response.json()["data"])


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, (response.status_code, response.text)
    assert response.headers.get("www-authenticate") == "Bearer"
    assert response.text == NOT_AUTHENTICATED


def assert_forbidden(response: httpx.Response, permission: str) -> None:
    assert response.status_code == 403, (response.status_code, response.text)
    assert f"`{permission}` permission" in response.text


# ---------------------------------------------------------------------------------------------------------
# 1. Phoenix's client with an API key


def test_phoenix_client_with_a_service_key(plume_auth, admin):
    created = service_key(admin)
    assert created["scopes"] == ["ingest", "annotate", "feedback", "read"]
    key = created["key"]
    project = unique("auth-client")
    ids = ingest(plume_auth, key, project, ["agent", "llm"])

    client = Client(base_url=plume_auth.url, api_key=key)
    assert project in [p["name"] for p in client.projects.list()]
    spans = client.spans.get_spans(project_identifier=project)
    assert sorted((s["name"], s["context"]["span_id"]) for s in spans) == sorted(ids.items())

    name = unique("quality")
    logged = client.spans.log_span_annotations(
        span_annotations=[
            {"span_id": ids["llm"], "name": name, "annotator_kind": "LLM",
             "result": {"label": "good", "score": 0.75, "explanation": "fine"}},
            {"span_id": ids["agent"], "name": name, "annotator_kind": "CODE", "result": {"score": 1}},
        ],
        sync=True,
    )
    assert len(logged) == 2 and all(global_id(item["id"])[0] == "SpanAnnotation" for item in logged)
    got = client.spans.get_span_annotations(
        span_ids=[ids["llm"], ids["agent"]], project_identifier=project, include_annotation_names=[name],
    )
    assert {(a["span_id"], a["annotator_kind"], a["result"]["label"], a["result"]["score"]) for a in got} == {
        (ids["llm"], "LLM", "good", 0.75), (ids["agent"], "CODE", None, 1.0),
    }
    assert {a["id"] for a in got} == {item["id"] for item in logged}
    assert all(a["source"] == "API" for a in got)

    # A service key cannot manage users or keys (no admin scope by default).
    assert_forbidden(httpx.get(f"{plume_auth.url}/v1/users", headers=bearer(key)), "admin")
    # Who am I: the key itself.
    me = httpx.get(f"{plume_auth.url}/v1/user", headers=bearer(key))
    assert me.status_code == 200, me.text
    assert me.json()["data"]["auth_method"] == "API_KEY"
    assert me.json()["data"]["username"] == created["name"]


def test_phoenix_client_with_a_members_personal_key(plume_auth, admin):
    member = Account(plume_auth, admin, "MEMBER")
    session = member.login()
    me = session.get("/v1/user")
    assert me.status_code == 200, me.text
    assert me.json()["data"]["email"] == member.email and me.json()["data"]["role"] == "MEMBER"
    created = member.personal_key(session)
    key = created["key"]
    # The key acts as the member.
    as_key = httpx.get(f"{plume_auth.url}/v1/user", headers=bearer(key))
    assert as_key.status_code == 200, as_key.text
    assert as_key.json()["data"]["id"] == member.id and as_key.json()["data"]["role"] == "MEMBER"
    listed = session.get("/v1/user/api_keys")
    assert listed.status_code == 200, listed.text
    assert [k["id"] for k in listed.json()["data"]] == [created["id"]]
    assert "key" not in listed.json()["data"][0]

    # A member may ingest.
    project = unique("auth-member")
    ids = ingest(plume_auth, key, project, ["member-span"])

    client = Client(base_url=plume_auth.url, api_key=key)
    assert project in [p["name"] for p in client.projects.list()]
    [span] = client.spans.get_spans(project_identifier=project)
    assert span["name"] == "member-span" and span["context"]["span_id"] == ids["member-span"]
    name = unique("by-member")
    inserted = client.spans.add_span_annotation(
        span_id=ids["member-span"], annotation_name=name, annotator_kind="HUMAN", label="ok", score=1, sync=True,
    )
    [got] = client.spans.get_span_annotations(
        span_ids=[ids["member-span"]], project_identifier=project, include_annotation_names=[name],
    )
    assert got["id"] == inserted["id"]
    assert got["result"] == {"label": "ok", "score": 1.0, "explanation": None}
    assert got["source"] == "API"

    # A member is not an admin: no service keys, no users.
    assert_forbidden(
        httpx.post(f"{plume_auth.url}/v1/system/api_keys", headers=bearer(key), json={"data": {"name": "x"}}),
        "admin",
    )
    assert_forbidden(session.get("/v1/users"), "admin")


def test_phoenix_client_reads_phoenix_api_key(plume_auth, admin, monkeypatch):
    key = service_key(admin)["key"]
    project = unique("auth-env")
    ingest(plume_auth, key, project, ["env-span"])

    monkeypatch.setenv("PHOENIX_API_KEY", key)
    client = Client(base_url=plume_auth.url)
    assert project in [p["name"] for p in client.projects.list()]
    assert [s["name"] for s in client.spans.get_spans(project_identifier=project)] == ["env-span"]

    monkeypatch.setenv("PHOENIX_API_KEY", "plume_not-a-real-key")
    with pytest.raises(httpx.HTTPStatusError) as refused:
        Client(base_url=plume_auth.url).projects.list()
    assert refused.value.response.status_code == 401


def test_phoenix_client_without_a_key_gets_401(plume_auth, monkeypatch):
    for name in ("PHOENIX_API_KEY", "PHOENIX_CLIENT_HEADERS"):
        monkeypatch.delenv(name, raising=False)
    client = Client(base_url=plume_auth.url)
    with pytest.raises(httpx.HTTPStatusError) as projects:
        client.projects.list()
    assert_unauthenticated(projects.value.response)
    with pytest.raises(httpx.HTTPStatusError) as spans:
        client.spans.get_spans(project_identifier="default")
    assert_unauthenticated(spans.value.response)
    with pytest.raises(httpx.HTTPStatusError) as annotate:
        client.spans.add_span_annotation(span_id="00000000000000aa", annotation_name="x", label="y", sync=True)
    assert_unauthenticated(annotate.value.response)
    # A key that is not one is no better than none.
    with pytest.raises(httpx.HTTPStatusError) as bogus:
        Client(base_url=plume_auth.url, api_key="plume_" + "x" * 43).projects.list()
    assert_unauthenticated(bogus.value.response)


# ---------------------------------------------------------------------------------------------------------
# 2. OTLP over HTTP


def test_otlp_http_exporter_needs_a_key(plume_auth, admin):
    key = service_key(admin)["key"]
    project = unique("auth-otlp-http")

    without = http_exporter(plume_auth)
    assert without.export(finished_spans(project, ["refused"])) == SpanExportResult.FAILURE
    without.shutdown()
    assert span_names(plume_auth, admin, project) is None

    wrong = http_exporter(plume_auth, headers=bearer("plume_wrong"))
    assert wrong.export(finished_spans(project, ["refused"])) == SpanExportResult.FAILURE
    wrong.shutdown()
    assert span_names(plume_auth, admin, project) is None

    with_key = http_exporter(plume_auth, headers=bearer(key))
    assert with_key.export(finished_spans(project, ["accepted"])) == SpanExportResult.SUCCESS
    with_key.shutdown()
    assert span_names(plume_auth, admin, project) == ["accepted"]

    # The raw answer without a credential: Phoenix's 401.
    assert_unauthenticated(
        httpx.post(f"{plume_auth.url}/v1/traces", content=b"", headers={"content-type": "application/x-protobuf"})
    )


def test_otlp_http_exporter_reads_otel_exporter_otlp_headers(plume_auth, admin, monkeypatch):
    key = service_key(admin, scopes=["ingest"])["key"]
    project = unique("auth-otlp-env")
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"authorization=Bearer%20{key}")
    exporter = http_exporter(plume_auth)  # reads the variable now
    assert exporter.export(finished_spans(project, ["from-env"])) == SpanExportResult.SUCCESS
    exporter.shutdown()
    assert span_names(plume_auth, admin, project) == ["from-env"]

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20plume_revoked-or-never-made")
    exporter = http_exporter(plume_auth)
    assert exporter.export(finished_spans(project, ["refused"])) == SpanExportResult.FAILURE
    exporter.shutdown()
    assert span_names(plume_auth, admin, project) == ["from-env"]


# ---------------------------------------------------------------------------------------------------------
# 3. OTLP over gRPC


def test_otlp_grpc_exporter_needs_a_key(plume_auth, admin, monkeypatch):
    key = service_key(admin, scopes=["ingest"])["key"]
    project = unique("auth-otlp-grpc")
    for name in ("OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"):
        monkeypatch.delenv(name, raising=False)

    without = grpc_exporter(plume_auth)
    assert without.export(finished_spans(project, ["refused"])) == SpanExportResult.FAILURE
    without.shutdown()
    assert span_names(plume_auth, admin, project) is None

    with_key = grpc_exporter(plume_auth, headers=(("authorization", f"Bearer {key}"),))
    assert with_key.export(finished_spans(project, ["accepted"])) == SpanExportResult.SUCCESS
    with_key.shutdown()
    assert span_names(plume_auth, admin, project) == ["accepted"]

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"authorization=Bearer%20{key}")
    from_env = grpc_exporter(plume_auth)
    assert from_env.export(finished_spans(project, ["from-env"])) == SpanExportResult.SUCCESS
    from_env.shutdown()
    assert span_names(plume_auth, admin, project) == ["accepted", "from-env"]


def test_grpc_status_codes(plume_auth, admin):
    project = unique("auth-grpc-raw")
    request = encode_spans(finished_spans(project, ["raw"]))
    ingest_key = service_key(admin, scopes=["ingest"])["key"]
    read_key = service_key(admin, scopes=["read"])["key"]
    with grpc.insecure_channel(plume_auth.grpc_endpoint) as channel:
        stub = TraceServiceStub(channel)

        def refused(metadata) -> grpc.StatusCode:
            with pytest.raises(grpc.RpcError) as error:
                stub.Export(request, metadata=metadata, timeout=10)
            return error.value.code()

        assert refused(None) == grpc.StatusCode.UNAUTHENTICATED
        assert refused((("authorization", "Bearer plume_unknown"),)) == grpc.StatusCode.UNAUTHENTICATED
        assert refused((("authorization", ingest_key),)) == grpc.StatusCode.UNAUTHENTICATED  # no scheme
        assert refused((("authorization", f"Bearer {read_key}"),)) == grpc.StatusCode.PERMISSION_DENIED
        assert span_names(plume_auth, admin, project) is None

        response = stub.Export(request, metadata=(("authorization", f"Bearer {ingest_key}"),), timeout=10)
        assert not response.HasField("partial_success")
    assert span_names(plume_auth, admin, project) == ["raw"]


# ---------------------------------------------------------------------------------------------------------
# 4. phoenix.otel.register


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_phoenix_otel_register_with_a_key(plume_auth, admin, protocol, monkeypatch):
    from phoenix.otel import register

    for name in ("PHOENIX_API_KEY", "PHOENIX_CLIENT_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS",
                 "OTEL_EXPORTER_OTLP_TRACES_HEADERS"):
        monkeypatch.delenv(name, raising=False)
    endpoint = f"{plume_auth.url}/v1/traces" if protocol == "http/protobuf" else f"http://{plume_auth.grpc_endpoint}"
    key = service_key(admin)["key"]

    project = unique("auth-register")
    provider = register(
        endpoint=endpoint, api_key=key, protocol=protocol, project_name=project, batch=False,
        set_global_tracer_provider=False, verbose=False,
    )
    with provider.get_tracer("test").start_as_current_span("registered"):
        pass
    provider.shutdown()
    assert span_names(plume_auth, admin, project) == ["registered"]

    # PHOENIX_API_KEY instead of api_key=.
    monkeypatch.setenv("PHOENIX_API_KEY", key)
    from_env = unique("auth-register-env")
    provider = register(
        endpoint=endpoint, protocol=protocol, project_name=from_env, batch=False, set_global_tracer_provider=False,
        verbose=False,
    )
    with provider.get_tracer("test").start_as_current_span("registered-from-env"):
        pass
    provider.shutdown()
    assert span_names(plume_auth, admin, from_env) == ["registered-from-env"]

    # No key at all: nothing lands.
    monkeypatch.delenv("PHOENIX_API_KEY")
    nothing = unique("auth-register-none")
    provider = register(
        endpoint=endpoint, protocol=protocol, project_name=nothing, batch=False, set_global_tracer_provider=False,
        verbose=False,
    )
    with provider.get_tracer("test").start_as_current_span("unregistered"):
        pass
    provider.shutdown()
    assert span_names(plume_auth, admin, nothing) is None


# ---------------------------------------------------------------------------------------------------------
# 5. Revoked and expired keys


def test_revoked_keys_are_refused_at_once(plume_auth, admin):
    created = service_key(admin)
    key = created["key"]
    assert httpx.get(f"{plume_auth.url}/v1/projects", headers=bearer(key)).status_code == 200
    listed = admin.get("/v1/system/api_keys")
    assert listed.status_code == 200, listed.text
    assert created["id"] in [k["id"] for k in listed.json()["data"]]

    revoked = admin.delete(f"/v1/system/api_keys/{created['id']}")
    assert revoked.status_code == 204, revoked.text
    assert_unauthenticated(httpx.get(f"{plume_auth.url}/v1/projects", headers=bearer(key)))
    assert created["id"] not in [k["id"] for k in admin.get("/v1/system/api_keys").json()["data"]]
    # OTLP too, over both transports.
    project = unique("auth-revoked")
    exporter = http_exporter(plume_auth, headers=bearer(key))
    assert exporter.export(finished_spans(project, ["late"])) == SpanExportResult.FAILURE
    exporter.shutdown()
    with grpc.insecure_channel(plume_auth.grpc_endpoint) as channel:
        with pytest.raises(grpc.RpcError) as error:
            TraceServiceStub(channel).Export(
                encode_spans(finished_spans(project, ["late"])), metadata=(("authorization", f"Bearer {key}"),),
                timeout=10,
            )
        assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert span_names(plume_auth, admin, project) is None
    # Revoking again: gone.
    assert admin.delete(f"/v1/system/api_keys/{created['id']}").status_code == 404

    # A personal key, revoked by its owner.
    member = Account(plume_auth, admin, "MEMBER")
    session = member.login()
    personal = member.personal_key(session)
    assert httpx.get(f"{plume_auth.url}/v1/projects", headers=bearer(personal["key"])).status_code == 200
    # Someone else's key is not found through /v1/user/api_keys, not even by the admin.
    assert admin.delete(f"/v1/user/api_keys/{personal['id']}").status_code == 404
    assert httpx.get(f"{plume_auth.url}/v1/projects", headers=bearer(personal["key"])).status_code == 200
    assert session.delete(f"/v1/user/api_keys/{personal['id']}").status_code == 204
    assert_unauthenticated(httpx.get(f"{plume_auth.url}/v1/projects", headers=bearer(personal["key"])))


def test_expired_keys_are_refused(plume_auth, admin):
    expires = datetime.now(timezone.utc) + timedelta(seconds=2)
    created = service_key(admin, expires_at=expires.isoformat())
    assert created["expires_at"], created
    assert abs(datetime.fromisoformat(created["expires_at"]) - expires) < timedelta(seconds=1)
    key = created["key"]
    assert httpx.get(f"{plume_auth.url}/v1/projects", headers=bearer(key)).status_code == 200
    time.sleep(3)
    assert_unauthenticated(httpx.get(f"{plume_auth.url}/v1/projects", headers=bearer(key)))
    exporter = http_exporter(plume_auth, headers=bearer(key))
    assert exporter.export(finished_spans(unique("auth-expired"), ["late"])) == SpanExportResult.FAILURE
    exporter.shutdown()

    # A time already past is refused when the key is made.
    past = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
    refused = admin.post("/v1/system/api_keys", json={"data": {"name": unique("past"), "expires_at": past}})
    assert refused.status_code == 422, refused.text
    unknown_scope = admin.post("/v1/system/api_keys", json={"data": {"name": unique("x"), "scopes": ["everything"]}})
    assert unknown_scope.status_code == 422, unknown_scope.text


def test_expired_key_is_refused_from_the_moment_it_expires(plume_auth, admin):
    """No grace period: a request sent after `expires_at` is refused, even right after a request that was let in
    (a credential looked up before the expiry must not be trusted past it)."""
    expires = datetime.now(timezone.utc) + timedelta(seconds=1.5)
    key = service_key(admin, expires_at=expires.isoformat())["key"]
    before, late = [], []
    with httpx.Client(base_url=plume_auth.url, headers=bearer(key), timeout=10) as client:
        while (sent := datetime.now(timezone.utc)) < expires + timedelta(seconds=1.2):
            status = client.get("/v1/projects").status_code
            if sent < expires - timedelta(seconds=0.2):
                before.append(status)
            elif sent >= expires and status != 401:
                late.append((round((sent - expires).total_seconds(), 3), status))
            time.sleep(0.02)
    assert before and set(before) == {200}
    assert late == [], f"accepted (seconds after expires_at, status): {late}"


# ---------------------------------------------------------------------------------------------------------
# 6. Deactivated users


def test_deactivated_users_are_refused_at_once(plume_auth, admin):
    member = Account(plume_auth, admin, "MEMBER")
    session = member.login()
    key = member.personal_key(session)["key"]
    assert session.get("/v1/user").status_code == 200
    assert httpx.get(f"{plume_auth.url}/v1/user", headers=bearer(key)).status_code == 200

    changed = admin.patch(f"/v1/users/{member.id}", json={"active": False})
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["active"] is False and changed.json()["data"]["email"] == member.email
    assert_unauthenticated(session.get("/v1/user"))
    assert_unauthenticated(httpx.get(f"{plume_auth.url}/v1/user", headers=bearer(key)))
    assert_unauthenticated(httpx.get(f"{plume_auth.url}/v1/projects", headers=bearer(key)))
    with grpc.insecure_channel(plume_auth.grpc_endpoint) as channel:
        with pytest.raises(grpc.RpcError) as error:
            TraceServiceStub(channel).Export(
                encode_spans(finished_spans(unique("auth-inactive"), ["late"])),
                metadata=(("authorization", f"Bearer {key}"),), timeout=10,
            )
        assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    # Logging in again fails, with the same answer as a wrong password.
    again = httpx.post(f"{plume_auth.url}/auth/login", json={"email": member.email, "password": member.password})
    assert again.status_code == 401 and again.text == LOGIN_FAILED

    # Reactivated: the key works again; the old session stays ended.
    back = admin.patch(f"/v1/users/{member.id}", json={"active": True})
    assert back.status_code == 200 and back.json()["data"]["active"] is True
    assert httpx.get(f"{plume_auth.url}/v1/user", headers=bearer(key)).status_code == 200
    assert_unauthenticated(session.get("/v1/user"))

    # An admin cannot deactivate themselves.
    me = admin.get("/v1/user").json()["data"]
    assert admin.patch(f"/v1/users/{me['id']}", json={"active": False}).status_code == 403
    assert admin.get("/v1/user").status_code == 200


def test_deleted_users_keys_stop(plume_auth, admin):
    viewer = Account(plume_auth, admin, "VIEWER")
    session = viewer.login()
    key = viewer.personal_key(session)["key"]
    assert httpx.get(f"{plume_auth.url}/v1/projects", headers=bearer(key)).status_code == 200
    assert admin.delete(f"/v1/users/{viewer.id}").status_code == 204
    assert_unauthenticated(httpx.get(f"{plume_auth.url}/v1/projects", headers=bearer(key)))
    assert_unauthenticated(session.get("/v1/user"))
    assert admin.delete(f"/v1/users/{viewer.id}").status_code == 404


def test_role_change_applies_at_once(plume_auth, admin):
    user = Account(plume_auth, admin, "VIEWER")
    key = user.personal_key()["key"]
    project = unique("auth-role-change")
    ids = ingest(plume_auth, service_key(admin)["key"], project, ["s"])
    body = {"data": [{"span_id": ids["s"], "name": unique("n"), "annotator_kind": "HUMAN", "result": {"label": "x"}}]}
    url = f"{plume_auth.url}/v1/span_annotations?sync=true"
    assert_forbidden(httpx.post(url, json=body, headers=bearer(key)), "annotate")
    promoted = admin.patch(f"/v1/users/{user.id}", json={"role": "ANNOTATOR"})
    assert promoted.status_code == 200 and promoted.json()["data"]["role"] == "ANNOTATOR"
    assert httpx.post(url, json=body, headers=bearer(key)).status_code == 200
    demoted = admin.patch(f"/v1/users/{user.id}", json={"role": "VIEWER"})
    assert demoted.status_code == 200 and demoted.json()["data"]["role"] == "VIEWER"
    assert_forbidden(httpx.post(url, json=body, headers=bearer(key)), "annotate")


# ---------------------------------------------------------------------------------------------------------
# 7. Roles and scopes over REST


@pytest.fixture(scope="module")
def role_project(plume_auth, admin) -> tuple[str, dict[str, str]]:
    project = unique("auth-roles")
    return project, ingest(plume_auth, service_key(admin)["key"], project, ["one", "two", "three"])


def annotate(plume_auth, key: str, span_id: str) -> httpx.Response:
    return httpx.post(
        f"{plume_auth.url}/v1/span_annotations", params={"sync": "true"}, headers=bearer(key),
        json={"data": [{"span_id": span_id, "name": unique("role"), "annotator_kind": "HUMAN",
                        "result": {"label": "seen", "score": 1}}]},
    )


def test_viewer_reads_but_does_not_annotate(plume_auth, admin, role_project):
    project, ids = role_project
    key = Account(plume_auth, admin, "VIEWER").personal_key()["key"]
    spans = httpx.get(f"{plume_auth.url}/v1/projects/{project}/spans", headers=bearer(key))
    assert spans.status_code == 200, spans.text
    assert sorted(s["name"] for s in spans.json()["data"]) == ["one", "three", "two"]
    assert_forbidden(annotate(plume_auth, key, ids["one"]), "annotate")
    note = httpx.post(f"{plume_auth.url}/v1/span_notes", headers=bearer(key),
                      json={"data": {"span_id": ids["one"], "note": "no"}})
    assert_forbidden(note, "annotate")
    assert_forbidden(
        httpx.post(f"{plume_auth.url}/v1/traces", headers={**bearer(key), "content-type": "application/x-protobuf"}),
        "ingest",
    )
    # Nothing was written.
    listed = httpx.get(f"{plume_auth.url}/v1/projects/{project}/span_annotations",
                       params={"span_ids": ids["one"]}, headers=bearer(key))
    assert listed.status_code == 200 and listed.json()["data"] == []


def test_annotator_annotates(plume_auth, admin, role_project):
    project, ids = role_project
    annotator = Account(plume_auth, admin, "ANNOTATOR")
    key = annotator.personal_key()["key"]
    answer = annotate(plume_auth, key, ids["two"])
    assert answer.status_code == 200, answer.text
    [item] = answer.json()["data"]
    listed = httpx.get(f"{plume_auth.url}/v1/projects/{project}/span_annotations",
                       params={"span_ids": ids["two"]}, headers=bearer(key))
    assert listed.status_code == 200, listed.text
    [annotation] = listed.json()["data"]
    assert annotation["id"] == item["id"] and annotation["result"]["label"] == "seen"
    # But may not ingest, manage or delete.
    assert_forbidden(
        httpx.post(f"{plume_auth.url}/v1/traces", headers={**bearer(key), "content-type": "application/x-protobuf"}),
        "ingest",
    )
    assert_forbidden(httpx.delete(f"{plume_auth.url}/v1/spans/{ids['two']}", headers=bearer(key)), "admin")


def test_member_cannot_delete_spans_but_admin_can(plume_auth, admin):
    project = unique("auth-delete")
    ids = ingest(plume_auth, service_key(admin)["key"], project, ["one", "three"])
    key = Account(plume_auth, admin, "MEMBER").personal_key()["key"]
    assert_forbidden(httpx.delete(f"{plume_auth.url}/v1/spans/{ids['three']}", headers=bearer(key)), "admin")
    assert_forbidden(httpx.delete(f"{plume_auth.url}/v1/projects/{project}", headers=bearer(key)), "admin")
    assert "three" in span_names(plume_auth, admin, project)
    deleted = admin.delete(f"/v1/spans/{ids['three']}")
    assert deleted.status_code == 204, deleted.text
    assert span_names(plume_auth, admin, project) == ["one"]


def test_scopes_narrow_keys(plume_auth, admin, role_project):
    project, ids = role_project
    read_only = service_key(admin, scopes=["read"])
    assert read_only["scopes"] == ["read"]
    key = read_only["key"]
    assert httpx.get(f"{plume_auth.url}/v1/projects/{project}/spans", headers=bearer(key)).status_code == 200
    traces = httpx.post(
        f"{plume_auth.url}/v1/traces", headers={**bearer(key), "content-type": "application/x-protobuf"},
        content=encode_spans(finished_spans(project, ["not-allowed"])).SerializeToString(),
    )
    assert_forbidden(traces, "ingest")
    assert_forbidden(annotate(plume_auth, key, ids["one"]), "annotate")
    assert "not-allowed" not in span_names(plume_auth, admin, project)

    ingest_only = service_key(admin, scopes=["ingest"])["key"]
    assert_forbidden(httpx.get(f"{plume_auth.url}/v1/projects", headers=bearer(ingest_only)), "read")

    # A personal key narrowed below its owner's role (an admin's key with only `read`).
    narrowed = admin.post("/v1/user/api_keys", json={"data": {"name": unique("narrow"), "scopes": ["read"]}})
    assert narrowed.status_code == 201, narrowed.text
    narrow_key = narrowed.json()["data"]["key"]
    assert httpx.get(f"{plume_auth.url}/v1/projects", headers=bearer(narrow_key)).status_code == 200
    assert_forbidden(httpx.get(f"{plume_auth.url}/v1/users", headers=bearer(narrow_key)), "admin")
    # And a personal key never exceeds its owner's role, whatever scopes it names.
    viewer = Account(plume_auth, admin, "VIEWER")
    wide = viewer.personal_key(scopes=["admin", "ingest"])["key"]
    assert_forbidden(httpx.get(f"{plume_auth.url}/v1/users", headers=bearer(wide)), "admin")
    assert_forbidden(annotate(plume_auth, wide, ids["one"]), "annotate")


def test_annotations_are_attributed_to_the_user_behind_the_credential(plume_auth, admin):
    """As in Phoenix, an annotation made over REST by a user (personal key or session) is stored with the user
    and listed with `user_id` = the user's global id."""
    project = unique("auth-attribution")
    ids = ingest(plume_auth, service_key(admin)["key"], project, ["by-key", "by-session"])
    annotator = Account(plume_auth, admin, "ANNOTATOR")
    session = annotator.login()
    key = annotator.personal_key(session)["key"]
    client = Client(base_url=plume_auth.url, api_key=key)
    name = unique("attributed")
    inserted = client.spans.add_span_annotation(
        span_id=ids["by-key"], annotation_name=name, annotator_kind="HUMAN", label="key", sync=True,
    )
    assert global_id(inserted["id"])[0] == "SpanAnnotation"
    posted = session.post(
        "/v1/span_annotations", params={"sync": "true"},
        json={"data": [{"span_id": ids["by-session"], "name": name, "annotator_kind": "HUMAN",
                        "result": {"label": "session"}}]},
    )
    assert posted.status_code == 200, posted.text
    got = client.spans.get_span_annotations(
        span_ids=list(ids.values()), project_identifier=project, include_annotation_names=[name],
    )
    assert sorted((a["span_id"], a["result"]["label"], a["user_id"]) for a in got) == sorted([
        (ids["by-key"], "key", annotator.id), (ids["by-session"], "session", annotator.id),
    ])


# ---------------------------------------------------------------------------------------------------------
# 8. Logging in and out


def test_login_sets_a_session_cookie_and_logout_ends_it(plume_auth, admin):
    user = Account(plume_auth, admin, "VIEWER")
    response = httpx.post(f"{plume_auth.url}/auth/login", json={"email": user.email, "password": user.password})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["id"] == user.id
    cookie = response.headers["set-cookie"]
    name_value, *attributes = [part.strip() for part in cookie.split(";")]
    assert name_value.startswith("plume_session=") and len(name_value) > len("plume_session=") + 20
    assert "HttpOnly" in attributes and "SameSite=Lax" in attributes and "Path=/" in attributes
    token = name_value.partition("=")[2]
    as_cookie = {"cookie": f"plume_session={token}"}
    assert httpx.get(f"{plume_auth.url}/v1/user", headers=as_cookie).json()["data"]["email"] == user.email

    logout = httpx.post(f"{plume_auth.url}/auth/logout", headers=as_cookie)
    assert logout.status_code == 204, logout.text
    assert "Max-Age=0" in logout.headers["set-cookie"]
    # The session is over on the server: the same cookie sent again is refused.
    assert_unauthenticated(httpx.get(f"{plume_auth.url}/v1/user", headers=as_cookie))


def test_failed_logins_look_alike_and_are_throttled(plume_auth, admin):
    user = Account(plume_auth, admin, "VIEWER")
    url = f"{plume_auth.url}/auth/login"
    wrong = httpx.post(url, json={"email": user.email, "password": "not-the-password-at-all"})
    unknown = httpx.post(url, json={"email": f"{unique('nobody')}@example.org", "password": user.password})
    for response in (wrong, unknown):
        assert response.status_code == 401, response.text
        assert response.text == LOGIN_FAILED
        assert "set-cookie" not in response.headers
    assert wrong.headers.get("www-authenticate") == unknown.headers.get("www-authenticate")

    for attempt in range(4):  # five failures in all for this account
        failed = httpx.post(url, json={"email": user.email, "password": f"wrong-{attempt}-password"})
        assert failed.status_code == 401, (attempt, failed.text)
    throttled = httpx.post(url, json={"email": user.email, "password": "wrong-again-password"})
    assert throttled.status_code == 429, throttled.text
    assert int(throttled.headers["retry-after"]) >= 1
    # Even the right password waits (the account is throttled, not the guess), in any case of the email.
    right = httpx.post(url, json={"email": user.email.upper(), "password": user.password})
    assert right.status_code == 429 and "set-cookie" not in right.headers
    # Other accounts are not held up.
    other = login(plume_auth, plume_auth.admin_email, plume_auth.admin_password)
    assert other.get("/v1/user").status_code == 200
    other.close()

    # Delays grow: after the wait one more failure, then a longer wait.
    time.sleep(int(throttled.headers["retry-after"]) + 0.2)
    assert httpx.post(url, json={"email": user.email, "password": "still-wrong-password"}).status_code == 401
    longer = httpx.post(url, json={"email": user.email, "password": "still-wrong-password"})
    assert longer.status_code == 429
    assert int(longer.headers["retry-after"]) > int(throttled.headers["retry-after"])

    # Once the wait is over the right password logs in (and clears the count).
    time.sleep(int(longer.headers["retry-after"]) + 0.2)
    user.login()
    assert httpx.post(url, json={"email": user.email, "password": "one-more-wrong-one"}).status_code == 401


def test_invited_user_sets_a_password(plume_auth, admin):
    email = f"{unique('invited')}@example.org"
    made = admin.post("/v1/users", json={"user": {"email": email, "role": "ANNOTATOR"}})
    assert made.status_code == 201, made.text
    assert made.json()["data"]["password_needs_reset"] is True
    invite = httpx.URL(made.json()["invite_url"])
    assert invite.path == "/set-password"
    token = invite.params["token"]
    password = f"pw-{uuid.uuid4().hex}"
    refused = httpx.post(f"{plume_auth.url}/auth/login", json={"email": email, "password": password})
    assert refused.status_code == 401
    done = httpx.post(f"{plume_auth.url}/auth/set-password", json={"token": token, "password": password})
    assert done.status_code == 204, done.text
    session = login(plume_auth, email, password)
    assert session.get("/v1/user").json()["data"]["role"] == "ANNOTATOR"
    # The link works once.
    again = httpx.post(f"{plume_auth.url}/auth/set-password", json={"token": token, "password": password + "x"})
    assert again.status_code == 404, again.text


# ---------------------------------------------------------------------------------------------------------
# 9. Public routes


def test_public_routes_need_no_credential(plume_auth):
    health = httpx.get(f"{plume_auth.url}/healthz")
    assert health.status_code == 200, health.text
    version = httpx.get(f"{plume_auth.url}/arize_phoenix_version")
    assert version.status_code == 200, version.text
    assert version.text.count(".") == 2 and all(part.isdigit() for part in version.text.strip().split("."))
    widget = httpx.get(f"{plume_auth.url}/widget.js")
    assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]
    # The feedback endpoint is reached without a credential (it wants a feedback token, not a login).
    feedback = httpx.post(f"{plume_auth.url}/v1/feedback", json={})
    assert feedback.status_code not in (401, 403), (feedback.status_code, feedback.text)
    # While the API itself is closed.
    assert_unauthenticated(httpx.get(f"{plume_auth.url}/v1/projects"))
    assert_unauthenticated(httpx.get(f"{plume_auth.url}/v1/users"))
    # Pages send a browser to the login page.
    page = httpx.get(f"{plume_auth.url}/projects/default")
    assert page.status_code in (302, 303, 307) and page.headers["location"].startswith("/login?next=")
