import http from "node:http";
import type { AddressInfo } from "node:net";
import { test, expect } from "./fixtures";
import { screenshot, webhookWithLog } from "./helpers";
import { UI } from "../seed-ui";

/**
 * The README's dark-theme pictures (`make screenshots`): the main pages in
 * the dark theme, at a desktop viewport. Skipped unless PLUME_SCREENSHOTS is set.
 */
test("dark theme screenshots", async ({ page, context, baseURL }) => {
  test.skip(!process.env.PLUME_SCREENSHOTS, "only for make screenshots");
  await page.setViewportSize({ width: 1280, height: 800 });
  await context.addCookies([{ name: "plume_theme", value: "dark", url: baseURL! }]);
  const pages: [string, string][] = [
    ["/", "projects-dark.png"],
    [`/projects/${UI.project}`, "traces-dark.png"],
    [`/projects/${UI.project}/traces/${UI.refundTrace}`, "trace-dark.png"],
    [`/projects/${UI.project}/spans/${UI.refundRoot}`, "span-dark.png"],
  ];
  for (const [path, name] of pages) {
    await page.goto(path);
    await screenshot(page, name);
  }
});

/**
 * The README's webhook page: a receiver (here, in the test) that fails once
 * then accepts, a 👎 on the weather trace, and the delivery log that shows it.
 */
test("webhook page screenshot", async ({ page, request }) => {
  test.skip(!process.env.PLUME_SCREENSHOTS, "only for make screenshots");
  test.setTimeout(60_000);
  let seen = 0;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      seen += 1;
      res.writeHead(seen === 2 ? 500 : 200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  try {
    const port = (receiver.address() as AddressInfo).port;
    const path = await webhookWithLog(request, `http://127.0.0.1:${port}/slack`, UI.project);
    const vote = await request.post("/v1/span_annotations?sync=true", {
      data: { data: [{ span_id: UI.weatherRoot, name: "thumbs", identifier: "webhook-demo", annotator_kind: "HUMAN", result: { label: "down", score: 0 } }] },
    });
    expect(vote.status()).toBe(200);
    // The 👎 fails once (500), then is retried and delivered.
    await expect.poll(() => seen, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(path);
    await expect(page.locator(".delivery-status.delivered")).toHaveCount(2);
    await screenshot(page, "webhook.png");
  } finally {
    receiver.close();
  }
});
