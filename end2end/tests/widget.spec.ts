import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { test, expect } from "./fixtures";
import { screenshot } from "./helpers";
import { startPlume } from "../global-setup";

/**
 * The embeddable widget, end to end: a host page on another origin (another
 * port on 127.0.0.1) includes `widget.js` and one `<div data-plume-feedback>`;
 * a real user clicks 👍, then 👎, then 👎 again to take the vote back, and the
 * REST API shows the annotation after each step. A host that is not allowed
 * can neither frame the widget nor call the vote endpoint.
 *
 * This file starts its own `plume serve` (its allowlist names the host page's
 * origin, which is only known once the host server listens).
 */

const PROJECT = "e2e-widget";

let plume: ChildProcess;
let plumeUrl: string;
let dataDir: string;
const hosts: http.Server[] = [];

/** Serves `html()` at `/` on a free port; returns the origin. */
async function hostPage(html: () => string): Promise<string> {
  const server = http.createServer((request, response) => {
    if (request.url !== "/") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  hosts.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A chat-like host page with one answer and the widget under it. */
function chatPage(token: string) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Host app</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; background: #eef0f4; margin: 0; padding: 24px; }
  .answer { max-width: 520px; background: #fff; border: 1px solid #d9dde5; border-radius: 12px; padding: 14px 16px; }
  .answer p { margin: 0 0 8px; }
</style></head><body>
<div class="answer" id="answer">
  <p><b>Assistant</b></p>
  <p>The Eiffel Tower is 330 m tall, antennas included.</p>
  <div data-plume-feedback data-token="${token}" data-accent="#7c3aed"></div>
</div>
<script src="${plumeUrl}/widget.js"></script>
</body></html>`;
}

let allowedHost = "";
let refusedHost = "";
let token = "";
const spanId = randomBytes(8).toString("hex");

test.beforeAll(async () => {
  let allowedHtml = () => "";
  let refusedHtml = () => "";
  allowedHost = await hostPage(() => allowedHtml());
  refusedHost = await hostPage(() => refusedHtml());

  dataDir = mkdtempSync(path.join(tmpdir(), "plume-widget-"));
  ({ process: plume, url: plumeUrl } = await startPlume(dataDir, [], { PLUME_FEEDBACK_ORIGINS: allowedHost }));

  // The app's answer is a span…
  const span = {
    traceId: randomBytes(16).toString("hex"),
    spanId,
    name: "answer",
    kind: 1,
    startTimeUnixNano: "1700000000000000000",
    endTimeUnixNano: "1700000001000000000",
    attributes: [{ key: "openinference.span.kind", value: { stringValue: "LLM" } }],
    status: { code: 1 },
  };
  const exported = await fetch(`${plumeUrl}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-project-name": PROJECT },
    body: JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [span] }] }] }),
  });
  expect(exported.status).toBe(200);
  // …and its backend mints a token for it, usable from both hosts as far as the token goes:
  // only the server's allowlist tells them apart.
  const minted = await fetch(`${plumeUrl}/v1/feedback_tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ span_id: spanId, user_id: "e2e-user", origins: [allowedHost, refusedHost] }),
  });
  expect(minted.status).toBe(200);
  token = (await minted.json()).data.token;
  allowedHtml = () => chatPage(token);
  refusedHtml = () => chatPage(token);
});

test.afterAll(async () => {
  for (const host of hosts) host.close();
  if (plume && plume.exitCode === null) {
    plume.kill("SIGTERM");
    await new Promise((resolve) => plume.once("exit", resolve));
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The widget's vote on the span, through the REST API: label or null. */
async function label(): Promise<string | null> {
  const response = await fetch(`${plumeUrl}/v1/projects/${PROJECT}/span_annotations?span_ids=${spanId}`);
  expect(response.status).toBe(200);
  const rows = (await response.json()).data as { name: string; identifier: string; result: { label: string } }[];
  const mine = rows.filter((r) => r.name === "user feedback" && r.identifier === "user:e2e-user");
  expect(mine.length).toBeLessThanOrEqual(1);
  return mine.length ? mine[0].result.label : null;
}

test("a host page on another origin embeds the widget: 👍, 👎, then take it back", async ({ page, consoleErrors }) => {
  await page.goto(allowedHost);
  const widget = page.frameLocator("[data-plume-feedback] iframe");
  const up = widget.getByRole("button", { name: "Thumbs up" });
  const down = widget.getByRole("button", { name: "Thumbs down" });
  await expect(up).toBeVisible();
  await expect(up).toHaveAttribute("aria-pressed", "false");
  // Clicks count only once the widget has hydrated (before that they are form posts,
  // which would also work, but this test is about the script path).
  await page.waitForLoadState("networkidle");

  await up.click();
  await expect(up).toHaveAttribute("aria-pressed", "true");
  await expect(widget.getByRole("status")).toHaveText("Thanks for your feedback!");
  await expect.poll(label).toBe("thumbs-up");

  await down.click();
  await expect(down).toHaveAttribute("aria-pressed", "true");
  await expect(up).toHaveAttribute("aria-pressed", "false");
  await expect.poll(label).toBe("thumbs-down");

  // The comment box appears after a vote; the iframe grows to show it.
  await expect(widget.getByRole("textbox", { name: "Comment (optional)" })).toBeVisible();
  const height = await page.locator("[data-plume-feedback] iframe").evaluate((f) => f.getBoundingClientRect().height);
  expect(height).toBeGreaterThan(60);
  await screenshot(page.locator("#answer"), "widget.png", false);

  // Keyboard: focus 👎 and press Enter to take the vote back.
  await down.focus();
  await page.keyboard.press("Enter");
  await expect(down).toHaveAttribute("aria-pressed", "false");
  await expect(widget.getByRole("status")).toHaveText("Vote removed.");
  await expect.poll(label).toBe(null);

  expect(consoleErrors).toEqual([]);
});

test("a host that is not allowed can neither frame the widget nor vote", async ({ page }) => {
  const embed = page.waitForResponse((r) => r.url().includes("/embed/feedback?"));
  await page.goto(refusedHost);
  const response = await embed;
  // The token names this host, but the server's allowlist does not.
  // (The framing policy comes first; the page's script policy follows, and both apply.)
  expect((await response.headerValues("content-security-policy"))[0]).toBe(`frame-ancestors ${allowedHost}`);
  await page.waitForLoadState("networkidle");
  await expect(page.frameLocator("[data-plume-feedback] iframe").getByRole("button", { name: "Thumbs up" })).toHaveCount(0);

  // A script on the refused host calling the vote endpoint directly gets no CORS answer.
  const outcome = await page.evaluate(
    async ([url, token]) => {
      try {
        const r = await fetch(`${url}/v1/feedback`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ token, vote: "up" }),
        });
        return `status ${r.status}`;
      } catch (error) {
        return "blocked";
      }
    },
    [plumeUrl, token],
  );
  expect(outcome).toBe("blocked");
  expect(await label()).toBe(null);
});

test.describe("before the widget's script runs", () => {
  test.use({ javaScriptEnabled: false });

  test("its buttons still vote as plain form posts", async ({ page }) => {
    // The embed page sends no referrer, so its form posts carry `Origin: null`:
    // the browser's `Sec-Fetch-Site: same-origin` is what vouches for them.
    await page.goto(`${plumeUrl}/embed/feedback?token=${encodeURIComponent(token)}`);
    const vote = page.waitForResponse((r) => r.url().endsWith("/embed/feedback/vote"));
    await page.getByRole("button", { name: "Thumbs up" }).click();
    expect((await vote).status()).toBe(303);
    await expect.poll(label).toBe("thumbs-up");
    await expect(page.getByRole("button", { name: "Thumbs up" })).toHaveAttribute("aria-pressed", "true");
  });
});
