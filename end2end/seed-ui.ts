/**
 * The `e2e-ui` project the page tests use, seeded over OTLP/JSON by
 * `global-setup.ts`: an agent trace with a chat LLM call and a failing tool,
 * a trace whose input is a `<script>` payload, and an error trace; plus a
 * categorical annotation config assigned to the project. Ids are fixed so
 * tests can open the pages directly.
 */

type Span = Record<string, unknown>;

/** Fixed ids of the UI project's spans (tests open their pages directly). */
export const UI = {
  project: "e2e-ui",
  refundTrace: "aa000000000000000000000000000001",
  refundRoot: "a000000000000001",
  refundLlm: "a000000000000002",
  refundTool: "a000000000000003",
  xssTrace: "aa000000000000000000000000000002",
  xssRoot: "b000000000000001",
  weatherTrace: "aa000000000000000000000000000003",
  weatherRoot: "c000000000000001",
};

function attr(key: string, value: string | number): Record<string, unknown> {
  return typeof value === "number"
    ? { key, value: { intValue: String(value) } }
    : { key, value: { stringValue: value } };
}

/** A span at `offsetMs` after a fixed start, lasting `durationMs`. */
function uiSpan(
  traceId: string,
  spanId: string,
  parentSpanId: string | undefined,
  name: string,
  offsetMs: number,
  durationMs: number,
  attributes: Record<string, string | number>,
  extra: Record<string, unknown> = {},
): Span {
  const start = 1_700_000_000_000n * 1_000_000n + BigInt(offsetMs) * 1_000_000n;
  return {
    traceId,
    spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name,
    kind: 1,
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: (start + BigInt(durationMs) * 1_000_000n).toString(),
    attributes: Object.entries(attributes).map(([k, v]) => attr(k, v)),
    status: { code: 1 },
    ...extra,
  };
}

/** The project the UI tests use: an agent trace with a chat LLM call and a
 * failing tool, a trace whose input is a `<script>` payload, and an error. */
export async function seedUi(base: string) {
  const t = UI;
  const spans: Span[] = [
    uiSpan(t.refundTrace, t.refundRoot, undefined, "refund-agent", 0, 2400, {
      "openinference.span.kind": "AGENT",
      "input.value": "How do I get a refund for order 42?",
      "output.value": "Your refund for order 42 is on its way.",
    }),
    uiSpan(t.refundTrace, t.refundLlm, t.refundRoot, "ChatCompletion", 100, 1500, {
      "openinference.span.kind": "LLM",
      "input.value": JSON.stringify({ messages: [{ role: "user", content: "refund order 42" }] }),
      "input.mime_type": "application/json",
      "output.value": "Your refund for order 42 is on its way.",
      "llm.model_name": "gpt-4o-mini",
      "llm.token_count.prompt": 120,
      "llm.token_count.completion": 40,
      "llm.input_messages.0.message.role": "system",
      "llm.input_messages.0.message.content": "You are a helpful support agent.",
      "llm.input_messages.1.message.role": "user",
      "llm.input_messages.1.message.content": "How do I get a refund for order 42?",
      "llm.output_messages.0.message.role": "assistant",
      "llm.output_messages.0.message.content": "Your refund for order 42 is on its way.",
    }),
    uiSpan(
      t.refundTrace,
      t.refundTool,
      t.refundRoot,
      "lookup_order",
      1700,
      300,
      { "openinference.span.kind": "TOOL", "input.value": "42" },
      {
        status: { code: 2, message: "order service timed out" },
        events: [
          {
            name: "exception",
            timeUnixNano: (1_700_000_000_000n * 1_000_000n + 1_900_000_000n).toString(),
            attributes: [
              attr("exception.type", "TimeoutError"),
              attr("exception.message", "order service timed out"),
              attr("exception.stacktrace", 'Traceback (most recent call last):\n  File "tools.py", line 7, in lookup\nTimeoutError'),
            ],
          },
        ],
      },
    ),
    uiSpan(t.xssTrace, t.xssRoot, undefined, "xss-probe", 60_000, 800, {
      "openinference.span.kind": "CHAIN",
      "input.value": "<script>alert(1)</script>",
      "output.value": "<img src=x onerror=alert(2)>",
    }),
    uiSpan(
      t.weatherTrace,
      t.weatherRoot,
      undefined,
      "weather-bot",
      120_000,
      5000,
      { "openinference.span.kind": "LLM", "input.value": "What is the weather in Paris?" },
      { status: { code: 2, message: "rate limited" } },
    ),
  ];
  const body = { resourceSpans: [{ resource: { attributes: [attr("service.name", "support-bot")] }, scopeSpans: [{ spans }] }] };
  await post(base, "/v1/traces", body, { "x-project-name": t.project });
  await post(base, "/v1/annotation_configs", {
    type: "CATEGORICAL",
    name: "quality",
    optimization_direction: "MAXIMIZE",
    values: [
      { label: "good", score: 1 },
      { label: "bad", score: 0 },
    ],
  });
  await post(base, `/v1/projects/${t.project}/annotation_configs/quality`, undefined, {}, "PUT");
}

async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}, method = "POST") {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(`seeding: ${method} ${path} → ${response.status} ${await response.text()}`);
  }
}
