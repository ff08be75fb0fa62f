import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "@playwright/test";
import { test, expect } from "./fixtures";
import { AGREEMENT_PROJECT, hydrated, screenshot, seedAgreement, spanAnnotations, webhookWithLog } from "./helpers";
import { startPlume } from "../global-setup";
import { UI } from "../seed-ui";

/**
 * Narrow screens (a 360 px phone and up): no page scrolls sideways, the
 * trace list's filters fold behind a "Filters (n)" control that works
 * without JavaScript, its rows become cards whose 👍/👎 and flag stay one tap
 * away, and the trace page puts the span tree above the details. Wide screens
 * keep the filter panel open without the control.
 *
 * Besides the UI project (`seed-ui.ts`), a project of its own holds long
 * unbroken text (a long project name, URLs, ids, JSON, attribute keys), which
 * must wrap or scroll inside its own box, never push the page sideways; it
 * is deleted afterwards, so that the other tests (and the README's pictures)
 * see the world they expect. The login, settings and account-menu pages are
 * also checked on a server of their own with accounts on.
 */

const PHONE = { width: 360, height: 740 };
const WIDE = { width: 1280, height: 800 };

const LONG_URL =
  "https://support.example.com/api/v2/orders/42/refunds/lookup?session=" +
  "0123456789abcdef".repeat(8) +
  "&redirect=https%3A%2F%2Fshop.example.com%2Faccount%2Forders%2F42%2Frefund-status";
const LONG_WORD = "Supercalifragilisticexpialidocious".repeat(4);

/** A project whose name, spans and collection carry long unbroken text. */
const NARROW = {
  project: "e2e-narrow-screens-project-with-a-long-unbroken-name",
  trace: "dd000000000000000000000000000001",
  root: "d000000000000001",
  child: "d000000000000002",
  collection: "narrow-screens-collection-with-a-long-unbroken-name",
};

function attr(key: string, value: string | number): Record<string, unknown> {
  return typeof value === "number"
    ? { key, value: { intValue: String(value) } }
    : { key, value: { stringValue: value } };
}

async function call(base: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // 409: already there (the worker restarted after a failure and seeds again).
  if (!response.ok && response.status !== 409) {
    throw new Error(`seeding: ${method} ${url} → ${response.status} ${await response.text()}`);
  }
  return response;
}

/** Seeds `NARROW`: a trace of two spans full of long text, and a collection holding both. */
async function seedNarrow(base: string) {
  const start = 1_700_000_300_000n * 1_000_000n;
  const span = (
    spanId: string,
    parent: string | undefined,
    name: string,
    ms: number,
    attributes: Record<string, string | number>,
    extra = {},
  ) => ({
    traceId: NARROW.trace,
    spanId,
    ...(parent ? { parentSpanId: parent } : {}),
    name,
    kind: 1,
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: (start + BigInt(ms) * 1_000_000n).toString(),
    attributes: Object.entries(attributes).map(([k, v]) => attr(k, v)),
    status: { code: 1 },
    ...extra,
  });
  const spans = [
    span(NARROW.root, undefined, "answer_refund_question_with_an_unusually_long_function_name_and_no_spaces", 3200, {
      "openinference.span.kind": "AGENT",
      "input.value": LONG_URL,
      "output.value": JSON.stringify({ url: LONG_URL, token: "f".repeat(160), words: LONG_WORD }),
      "output.mime_type": "application/json",
      "http.url": LONG_URL,
      "metadata.an_attribute_key_that_is_long_and_has_no_spaces_whatsoever_in_it": LONG_WORD,
    }),
    span(
      NARROW.child,
      NARROW.root,
      "lookup_order_status_through_the_order_service_gateway_v2",
      900,
      {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o-mini-2024-07-18-with-a-long-deployment-suffix",
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": `Where is ${LONG_URL} ?`,
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.content": LONG_WORD,
      },
      {
        status: { code: 2, message: `upstream failed: ${LONG_URL}` },
        events: [
          {
            name: "exception",
            timeUnixNano: (start + 800_000_000n).toString(),
            attributes: [
              attr("exception.type", "requests.exceptions.ConnectionError"),
              attr("exception.message", `HTTPSConnectionPool: Max retries exceeded with url: ${LONG_URL}`),
              attr(
                "exception.stacktrace",
                `Traceback (most recent call last):\n  File "/srv/app/${LONG_WORD}.py", line 7\nConnectionError: ${LONG_URL}`,
              ),
            ],
          },
        ],
      },
    ),
  ];
  const body = { resourceSpans: [{ resource: { attributes: [attr("service.name", "support-bot")] }, scopeSpans: [{ spans }] }] };
  await call(base, "POST", "/v1/traces", body, { "x-project-name": NARROW.project });
  await call(base, "POST", "/v1/collections", { name: NARROW.collection, description: `Long text: ${LONG_URL}` });
  const items = { span_ids: [NARROW.root, NARROW.child], note: `See ${LONG_URL}` };
  await call(base, "POST", `/v1/collections/${NARROW.collection}/items`, items);
  const link = await call(base, "POST", `/v1/collections/${NARROW.collection}/public_links`, { redact: [LONG_WORD] });
  return new URL((await link.json()).data.url).pathname;
}

/** The collection's public page (`/share/…`), made by `seedNarrow`. */
let sharePath: string;

/** The collection a card's flag menu makes. */
const FLAGGED = `e2e narrow flags ${Date.now()}`;

test.beforeAll(async () => {
  sharePath = await seedNarrow(process.env.PLUME_URL!);
});

test.afterAll(async () => {
  const base = process.env.PLUME_URL!;
  const made = [
    `/v1/collections/${NARROW.collection}`,
    `/v1/collections/${encodeURIComponent(FLAGGED)}`,
    `/v1/projects/${NARROW.project}`,
  ];
  for (const url of made) {
    const response = await fetch(`${base}${url}`, { method: "DELETE" });
    expect([204, 404], `DELETE ${url}`).toContain(response.status);
  }
});

/**
 * The page's width, and the innermost elements (or their text) that stick
 * out on the right, outside any box that scrolls or clips them.
 */
async function overflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number; culprits: string[] }> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    // Whether a box between the element and its containing block scrolls or clips it.
    const clipped = (element: Element) => {
      let position = getComputedStyle(element).position;
      for (let e = element.parentElement; e && e !== document.body; e = e.parentElement) {
        const style = getComputedStyle(e);
        if (position === "fixed") return false;
        if (position === "absolute" && style.position === "static") continue;
        if (style.overflowX !== "visible") return true;
        position = style.position;
      }
      return false;
    };
    const sticksOut = (element: Element) => {
      const box = element.getBoundingClientRect();
      const ownText = getComputedStyle(element).overflowX === "visible" ? element.scrollWidth : element.clientWidth;
      return box.width > 0 && Math.max(box.right, box.left + ownText) > width + 0.5 && !clipped(element);
    };
    const all = Array.from(document.body.querySelectorAll("*")).filter(sticksOut);
    const culprits = all
      .filter((e) => !all.some((other) => other !== e && e.contains(other)))
      .slice(0, 6)
      .map((e) => {
        const text = (e.textContent ?? "").slice(0, 30);
        return `<${e.tagName.toLowerCase()} class="${e.getAttribute("class") ?? ""}">${text}…`;
      });
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: width, culprits };
  });
}

/** The collection page's path, from its link on /collections. */
async function collectionPath(page: Page, name: string): Promise<string> {
  await page.goto("/collections");
  return (await page.locator(`tr[data-collection="${name}"] a.name`).getAttribute("href"))!;
}

test.describe("at 360 px", () => {
  test.use({ viewport: PHONE });

  test("no page scrolls sideways, however long its text", async ({ page, request }) => {
    const collection = await collectionPath(page, NARROW.collection);
    await seedAgreement(request);
    const webhook = await webhookWithLog(request, `http://127.0.0.1:9/${LONG_WORD}`, "narrow-none");
    const paths = [
      "/",
      `/projects/${UI.project}`,
      `/projects/${NARROW.project}`,
      `/projects/${NARROW.project}?q=${LONG_WORD}`,
      `/projects/${UI.project}/traces/${UI.refundTrace}`,
      `/projects/${NARROW.project}/traces/${NARROW.trace}`,
      `/projects/${NARROW.project}/traces/${NARROW.trace}?span=${NARROW.child}`,
      `/projects/${UI.project}/spans/${UI.refundLlm}`,
      `/projects/${UI.project}/spans/${UI.refundTool}`,
      `/projects/${NARROW.project}/spans/${NARROW.root}`,
      `/projects/${NARROW.project}/spans/${NARROW.child}`,
      "/collections",
      collection,
      sharePath,
      "/settings/api-keys",
      "/settings/webhooks",
      webhook,
      "/login",
      `/projects/${AGREEMENT_PROJECT}/agreement?name=quality`,
      `/projects/${AGREEMENT_PROJECT}/annotate`,
      `${collection}/annotate`,
    ];
    for (const path of paths) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(200);
      const { scrollWidth, innerWidth, culprits } = await overflow(page);
      expect.soft(scrollWidth, `${path} scrolls sideways: ${culprits.join(", ")}`).toBeLessThanOrEqual(innerWidth);
    }
  });

  test("the filters fold behind \"Filters (n)\", which opens them from the keyboard", async ({ page }) => {
    await page.goto(`/projects/${UI.project}`);
    const form = page.getByRole("search", { name: "Filter traces" });
    const toggle = page.getByRole("checkbox", { name: "Filters (0)" });
    const button = page.locator("label.filters-button");
    await expect(form).toBeHidden();
    await expect(button).toBeVisible();
    await expect(button).toHaveText("Filters (0)");

    // Tab reaches it right after the project's tabs; its label shows the focus; Space opens and closes.
    await page.getByRole("navigation", { name: "Project views" }).getByRole("link", { name: "Sessions" }).focus();
    await page.keyboard.press("Tab");
    await expect(toggle).toBeFocused();
    await expect(button).not.toHaveCSS("outline-style", "none");
    await page.keyboard.press("Space");
    await expect(toggle).toBeChecked();
    await expect(form).toBeVisible();
    await page.keyboard.press("Space");
    await expect(form).toBeHidden();

    // Open again, then Tab goes into the panel: a filter applied from the keyboard.
    await page.keyboard.press("Space");
    await page.keyboard.press("Tab");
    await expect(page.getByLabel("Search input and output")).toBeFocused();
    await page.keyboard.type("refund");
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/[?&]q=refund/);
    await expect(page.locator("tr.row")).toHaveCount(1);
    // A new page: folded again, counting the filter.
    await expect(form).toBeHidden();
    await expect(button).toHaveText("Filters (1)");

    await page.goto(`/projects/${UI.project}?kind=LLM&status=ERROR&sort=latency`);
    await expect(page.getByRole("checkbox", { name: "Filters (2)" })).toBeAttached(); // sorting is no filter
    await expect(button).toHaveText("Filters (2)");
    await expect(page.locator('select[name="kind"]')).toBeHidden();
  });

  test("the filters open without JavaScript too", async ({ browser, baseURL }) => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: PHONE, baseURL });
    const page = await context.newPage();
    await page.goto(`/projects/${UI.project}?kind=CHAIN`);
    const form = page.getByRole("search", { name: "Filter traces" });
    await expect(form).toBeHidden();
    await page.locator("label.filters-button", { hasText: "Filters (1)" }).click();
    await expect(form).toBeVisible();
    await expect(page.locator('select[name="kind"]')).toHaveValue("CHAIN");
    await context.close();
  });

  test("each trace is a card whose 👍/👎 and flag are one tap away", async ({ page, request }) => {
    await page.goto(`/projects/${UI.project}`);
    await hydrated(page);
    const rows = page.locator("tr.row");
    await expect(rows).toHaveCount(3);
    // The header row is there for screen readers only.
    expect((await page.locator(".traces thead").boundingBox())!.height).toBeLessThanOrEqual(1);
    // Cards: stacked, each as wide as the page's content, everything inside it on screen.
    let bottom = 0;
    for (const row of await rows.all()) {
      const card = (await row.boundingBox())!;
      expect(card.y).toBeGreaterThanOrEqual(bottom);
      expect(card.x).toBeGreaterThanOrEqual(0);
      expect(card.x + card.width).toBeLessThanOrEqual(PHONE.width);
      expect(card.width).toBeGreaterThan(PHONE.width * 0.9);
      bottom = card.y + card.height;
      const parts = [
        row.locator("a.name"),
        row.locator(".kind"),
        row.locator("td.latency"),
        row.locator('[data-thumb="up"]'),
        row.locator('[data-thumb="down"]'),
        row.locator("details[data-flag] > summary"),
      ];
      for (const part of parts) {
        await expect(part).toBeVisible();
        const box = (await part.boundingBox())!;
        expect(box.x).toBeGreaterThanOrEqual(card.x);
        expect(box.x + box.width).toBeLessThanOrEqual(card.x + card.width);
        expect(box.y).toBeGreaterThanOrEqual(card.y);
        expect(box.y + box.height).toBeLessThanOrEqual(card.y + card.height);
      }
      // Big enough for a thumb.
      expect((await row.locator('[data-thumb="up"]').boundingBox())!.height).toBeGreaterThanOrEqual(36);
    }
    // No header above a card's figures: each says what it is.
    const latency = rows.first().locator("td.latency");
    await expect(latency).toHaveText("5.00 s");
    expect(await latency.evaluate((cell) => getComputedStyle(cell, "::before").content)).toBe('"Latency"');
    await screenshot(page, "phone-traces.png", false);

    // 👍 on a card of the project of its own (other tests count the UI project's annotations).
    await page.goto(`/projects/${NARROW.project}`);
    await hydrated(page);
    const card = page.locator(`tr[data-trace="${NARROW.trace}"]`);
    await card.locator('[data-thumb="up"]').click();
    await expect(card.locator('[data-thumb="up"]')).toHaveAttribute("aria-pressed", "true");
    await expect(card.locator('.chip[data-annotation="user feedback"]')).toContainText("thumbs-up");
    await expect(card.locator('.chip[data-annotation="user feedback"]')).toBeInViewport();
    const [feedback] = (await spanAnnotations(request, NARROW.project, NARROW.root)).filter((a) => a.name === "user feedback");
    expect(feedback.result).toMatchObject({ label: "thumbs-up", score: 1 });

    // Flag: the menu opens on screen, and flags.
    await card.locator("details[data-flag] > summary").click();
    const menu = card.locator("details[data-flag]");
    await expect(menu).toHaveAttribute("open", "");
    const popover = (await menu.locator(".flag-popover").boundingBox())!;
    expect(popover.x).toBeGreaterThanOrEqual(0);
    expect(popover.x + popover.width).toBeLessThanOrEqual(PHONE.width);
    await menu.locator('input[name="collection"]').fill(FLAGGED);
    await menu.getByRole("button", { name: "Flag", exact: true }).click();
    await expect(menu.locator(".flag-result")).toHaveText(`Added to ${FLAGGED}`);
    const { scrollWidth } = await overflow(page);
    expect(scrollWidth).toBeLessThanOrEqual(PHONE.width);
  });

  test("the trace page shows the span tree above the details", async ({ page }) => {
    await page.goto(`/projects/${UI.project}/traces/${UI.refundTrace}`);
    const tree = (await page.locator(".tree-panel").boundingBox())!;
    const details = (await page.locator(".detail-panel").boundingBox())!;
    expect(tree.y + tree.height).toBeLessThanOrEqual(details.y);
    for (const box of [tree, details]) {
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
      expect(box.width).toBeGreaterThan(PHONE.width * 0.9);
    }
  });
});

test.describe("at 1280 px", () => {
  test.use({ viewport: WIDE });

  test("the filter panel shows without the control, the traces stay a table", async ({ page }) => {
    await page.goto(`/projects/${UI.project}?kind=LLM`);
    await expect(page.getByRole("search", { name: "Filter traces" })).toBeVisible();
    await expect(page.locator('select[name="kind"]')).toHaveValue("LLM");
    await expect(page.locator("label.filters-button")).toBeHidden();
    // Hidden, not just invisible: Tab skips it.
    await expect(page.locator("#filters-toggle")).toBeHidden();
    await expect(page.locator(".traces thead")).toBeVisible();
    await expect(page.locator("tr.row").first()).toHaveCSS("display", "table-row");
  });

  test("the trace page shows the span tree beside the details", async ({ page }) => {
    await page.goto(`/projects/${UI.project}/traces/${UI.refundTrace}`);
    const tree = (await page.locator(".tree-panel").boundingBox())!;
    const details = (await page.locator(".detail-panel").boundingBox())!;
    expect(tree.x + tree.width).toBeLessThanOrEqual(details.x);
    expect(Math.abs(tree.y - details.y)).toBeLessThan(2);
  });
});

test.describe("at 360 px with accounts on", () => {
  test.use({ viewport: PHONE });
  const ADMIN = { email: "admin@example.org", password: "correct horse battery staple" };
  let plume: ChildProcess;
  let plumeUrl: string;
  let dataDir: string;

  test.beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "plume-e2e-narrow-"));
    ({ process: plume, url: plumeUrl } = await startPlume(dataDir, ["--auth", "on"], {
      PLUME_ADMIN_EMAIL: ADMIN.email,
      PLUME_ADMIN_PASSWORD: ADMIN.password,
    }));
  });

  test.afterAll(async () => {
    if (plume && plume.exitCode === null) {
      plume.kill("SIGTERM");
      await new Promise((resolve) => plume.once("exit", resolve));
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test("the login page, the header's account menu and the settings pages fit", async ({ page }) => {
    const fits = async (what: string) => {
      const { scrollWidth, innerWidth, culprits } = await overflow(page);
      expect.soft(scrollWidth, `${what} scrolls sideways: ${culprits.join(", ")}`).toBeLessThanOrEqual(innerWidth);
    };
    await page.goto(`${plumeUrl}/login`);
    await fits("/login");
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.locator(".user-menu")).toContainText(ADMIN.email);
    await page.waitForLoadState();
    await fits("/ (logged in)");

    await page.goto(`${plumeUrl}/settings/api-keys`);
    const own = page.locator('section[aria-labelledby="own-keys"]');
    await own.getByLabel("Name").fill(`exporter-${LONG_WORD}`);
    await own.getByRole("button", { name: "Create key" }).click();
    await expect(page.getByLabel("New API key")).toBeVisible();
    await page.waitForLoadState(); // without JavaScript yet, the form posted and a new page loads
    await fits("/settings/api-keys (a new key shown)");
    await page.goto(`${plumeUrl}/settings/api-keys`);
    await fits("/settings/api-keys");
    await page.goto(`${plumeUrl}/settings/users`);
    await fits("/settings/users");
    await page.goto(`${plumeUrl}/collections`);
    await fits("/collections (logged in)");
  });
});
