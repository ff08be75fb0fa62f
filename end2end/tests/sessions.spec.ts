import type { APIRequestContext } from "@playwright/test";
import { test, expect } from "./fixtures";
import { spanAnnotations, violations } from "./helpers";

/**
 * The sessions tab and the session page: reached from the trace list's tabs,
 * read like the conversation (turn by turn, in order), 👍 given on a turn,
 * linked from the trace page, free of serious axe violations in both themes,
 * and usable on a 360 px phone.
 */

const PROJECT = "e2e-sessions";
const SESSION = "e2e chat <1>";
const TURNS = [
  { trace: "5e000000000000000000000000000001", span: "5e00000000000001", input: "Where is my parcel?", output: "It left the depot this morning." },
  { trace: "5e000000000000000000000000000002", span: "5e00000000000002", input: "When will it arrive?", output: "Tomorrow before noon." },
];
const THEMES = ["light", "dark"] as const;

function attr(key: string, value: string) {
  return { key, value: { stringValue: value } };
}

/** Seeds PROJECT (idempotent): SESSION's two turns, and a session annotation. */
async function seed(request: APIRequestContext) {
  const start = 1_700_000_500_000n * 1_000_000n;
  const spans = TURNS.map((turn, i) => ({
    traceId: turn.trace,
    spanId: turn.span,
    name: "support turn",
    kind: 1,
    startTimeUnixNano: String(start + BigInt(i) * 60_000_000_000n),
    endTimeUnixNano: String(start + BigInt(i) * 60_000_000_000n + 1_200_000_000n),
    attributes: [
      attr("openinference.span.kind", "CHAIN"),
      attr("session.id", SESSION),
      attr("input.value", turn.input),
      attr("output.value", turn.output),
    ],
    status: { code: 1 },
  }));
  const ingested = await request.post("/v1/traces", {
    headers: { "x-project-name": PROJECT },
    data: { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] },
  });
  expect(ingested.status()).toBe(200);
  const annotated = await request.post("/v1/session_annotations?sync=true", {
    data: { data: [{ session_id: SESSION, name: "resolved", annotator_kind: "LLM", result: { label: "yes", explanation: "answered both" } }] },
  });
  expect(annotated.status()).toBe(200);
}

const sessionPath = `/projects/${PROJECT}/sessions/${encodeURIComponent(SESSION)}`;

test("the sessions tab leads to the conversation, turn by turn, and a turn takes a 👍", async ({ page, request, consoleErrors }) => {
  await seed(request);
  await page.goto(`/projects/${PROJECT}`);
  const tabs = page.getByRole("navigation", { name: "Project views" });
  await expect(tabs.getByRole("link", { name: "Traces" })).toHaveAttribute("aria-current", "page");
  await tabs.getByRole("link", { name: "Sessions" }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${PROJECT}/sessions$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sessions");
  const row = page.locator("tr[data-session]").filter({ hasText: SESSION });
  await expect(row.locator("td.turns")).toHaveText("2");
  await expect(row.locator("td.input")).toHaveText(TURNS[1].input);

  await row.getByRole("link", { name: SESSION }).click();
  await expect(page).toHaveURL(new RegExp(`${sessionPath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Session ${SESSION}`);
  const turns = page.locator("ol.conversation > li");
  await expect(turns).toHaveCount(2);
  for (const [i, turn] of TURNS.entries()) {
    const article = page.getByRole("article", { name: `Turn ${i + 1}` });
    await expect(article.locator(".turn-input .turn-text")).toHaveText(turn.input);
    await expect(article.locator(".turn-output .turn-text")).toHaveText(turn.output);
  }
  await expect(page.getByRole("region", { name: "Session annotations" })).toContainText("resolved: yes — answered both");

  // 👍 on the second turn: stored on its root span, shown pressed after the round trip.
  const second = page.getByRole("article", { name: "Turn 2" });
  await second.getByRole("button", { name: "Thumbs up" }).click();
  await expect
    .poll(async () => (await spanAnnotations(request, PROJECT, TURNS[1].span)).map((a) => a.result.label))
    .toEqual(["thumbs-up"]);
  await page.goto(sessionPath);
  await expect(page.getByRole("article", { name: "Turn 2" }).getByRole("button", { name: "Thumbs up" })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByRole("article", { name: "Turn 1" }).getByRole("button", { name: "Thumbs up" })).toHaveAttribute("aria-pressed", "false");

  // The trace page links back to the session; the turn links to its trace.
  await page.getByRole("link", { name: "Open trace of turn 1" }).click();
  await expect(page).toHaveURL(new RegExp(`/traces/${TURNS[0].trace}$`));
  await page.getByRole("link", { name: /Part of session/ }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Session ${SESSION}`);
  expect(consoleErrors).toEqual([]);
});

test("the session page and the sessions tab have no serious axe violation in either theme", async ({ page, context, request, baseURL }) => {
  await seed(request);
  const found: string[] = [];
  for (const theme of THEMES) {
    await context.addCookies([{ name: "plume_theme", value: theme, url: baseURL! }]);
    for (const path of [sessionPath, `/projects/${PROJECT}/sessions`]) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(200);
      await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
      await expect(page.locator("h1")).toHaveCount(1);
      for (const line of await violations(page)) found.push(`[${theme}] ${path}: ${line}`);
    }
  }
  expect(found).toEqual([]);
});

test.describe("at 360 px", () => {
  test.use({ viewport: { width: 360, height: 740 } });

  test("the session page and the sessions tab fit without scrolling sideways, and the keyboard reaches each turn", async ({ page, request }) => {
    await seed(request);
    for (const path of [sessionPath, `/projects/${PROJECT}/sessions`]) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(200);
      const [scrollWidth, innerWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      expect(scrollWidth, path).toBeLessThanOrEqual(innerWidth);
    }
    await page.goto(sessionPath);
    // Tab order: the first turn's trace link, then its 👍 and 👎, then the second turn's.
    await page.getByRole("link", { name: "Open trace of turn 1" }).focus();
    await page.keyboard.press("Tab");
    await expect(page.getByRole("article", { name: "Turn 1" }).getByRole("button", { name: "Thumbs up" })).toBeFocused();
    await page.keyboard.press("Tab");
    await expect(page.getByRole("article", { name: "Turn 1" }).getByRole("button", { name: "Thumbs down" })).toBeFocused();
    await page.keyboard.press("Tab");
    await expect(page.getByRole("link", { name: "Open trace of turn 2" })).toBeFocused();
  });
});
