import { test, expect } from "./fixtures";
import { UI } from "../seed-ui";
import { AGREEMENT_PROJECT, hydrated, seedAgreement, violations, webhookWithLog } from "./helpers";

/**
 * axe-core (WCAG 2.0/2.1 A and AA, best practices) on every page, in the
 * light and the dark theme: any violation of impact "serious" or "critical"
 * fails the suite, listed with its rule, help text and the offending nodes.
 */

const THEMES = ["light", "dark"] as const;

/** Pages with data of their own: a collection, a public link, a widget token. */
async function pages(request: Parameters<Parameters<typeof test>[2]>[0]["request"]): Promise<string[]> {
  const made = await request.post("/v1/collections", { data: { name: `a11y-${Date.now()}` } });
  expect(made.status()).toBe(200);
  const collection = (await made.json()).data.id as string;
  const flagged = await request.post(`/v1/collections/${collection}/items`, { data: { span_ids: [UI.refundRoot] } });
  expect(flagged.status()).toBe(200);
  const link = await request.post("/v1/public_links", { data: { trace_id: UI.refundTrace } });
  expect(link.status()).toBe(200);
  const share = new URL((await link.json()).data.url as string).pathname;
  const minted = await request.post("/v1/feedback_tokens", { data: { span_id: UI.refundRoot } });
  expect(minted.status()).toBe(200);
  const token = (await minted.json()).data.token as string;
  await seedAgreement(request);
  // Nothing listens on port 9: the log shows a failed attempt, pending a retry.
  const webhook = await webhookWithLog(request, "http://127.0.0.1:9/hook", "a11y-none");
  const config = await request.post("/v1/annotation_configs", {
    data: {
      name: `a11y-${Date.now()}`,
      type: "CATEGORICAL",
      optimization_direction: "MAXIMIZE",
      values: [{ label: "good" }, { label: "bad" }],
    },
  });
  expect(config.status()).toBe(200);
  const queueMade = await request.post("/v1/annotation_queues", {
    data: { name: "a11y queue", instructions: "Judge the **answer**.", annotation_config_ids: [(await config.json()).data.id] },
  });
  expect(queueMade.status()).toBe(200);
  const queue = (await queueMade.json()).data.id as string;
  const queued = await request.post(`/v1/annotation_queues/${queue}/items`, { data: { span_ids: [UI.refundRoot] } });
  expect(queued.status()).toBe(200);
  const queueRowid = Buffer.from(queue, "base64").toString().split(":")[1];
  return [
    "/",
    `/projects/${UI.project}`,
    `/projects/${UI.project}/traces/${UI.refundTrace}`,
    `/projects/${UI.project}/spans/${UI.refundRoot}`,
    "/collections",
    `/collections/${Buffer.from(collection, "base64").toString().split(":")[1]}`,
    `/collections/${Buffer.from(collection, "base64").toString().split(":")[1]}/annotate`,
    `/projects/${AGREEMENT_PROJECT}/agreement?name=quality`,
    `/projects/${AGREEMENT_PROJECT}/annotate`,
    share,
    "/queues",
    `/queues/${queueRowid}`,
    `/queues/${queueRowid}/review`,
    "/login",
    "/settings/api-keys",
    "/settings/users",
    "/settings/webhooks",
    webhook,
    `/embed/feedback?token=${encodeURIComponent(token)}`,
  ];
}

test("no serious or critical axe violation on any page, in either theme", async ({ page, context, request, baseURL }) => {
  test.setTimeout(120_000);
  const paths = await pages(request);
  const found: string[] = [];
  for (const theme of THEMES) {
    await context.addCookies([{ name: "plume_theme", value: theme, url: baseURL! }]);
    for (const path of paths) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBeLessThan(400);
      await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
      const headings = await page.locator("h1").count();
      if (headings !== 1) found.push(`[${theme}] ${path}: ${headings} <h1> elements (one expected)`);
      for (const line of await violations(page)) found.push(`[${theme}] ${path}: ${line}`);
    }
  }
  expect(found).toEqual([]);
});

test("the theme switch is remembered and rendered by the server on the first byte", async ({ page, request }) => {
  await page.goto("/");
  await expect(page.locator("html")).not.toHaveAttribute("data-theme", /.+/);
  await page.getByRole("button", { name: "Switch to the dark theme" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await expect
    .poll(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor))
    .toBe("rgb(15, 18, 24)");
  // The next page's HTML, as sent, already says dark: nothing flashes.
  const cookies = await page.context().cookies();
  const theme = cookies.find((c) => c.name === "plume_theme")!;
  expect(theme.value).toBe("dark");
  const html = await (await request.get("/collections", { headers: { cookie: "plume_theme=dark" } })).text();
  expect(html).toMatch(/<html lang="en" data-theme="dark"/);
  await page.getByRole("button", { name: "Switch to the light theme" }).click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
});

test("keyboard users skip the header, and focus stays on the form after a save", async ({ page }) => {
  const path = `/projects/${UI.project}/spans/${UI.weatherRoot}`;
  await page.goto(path);
  await hydrated(page);
  // Fetches of the page after it loaded: the save's refresh, and nothing else
  // (the skip link moves within the page; it once refetched and replaced it,
  // emptying the form being filled).
  let fetches = 0;
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === path) fetches += 1;
  });
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to main content" });
  await expect(skip).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/#main$/);
  // The next Tab lands in the main content, past the header's links.
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => !!document.activeElement?.closest("main"))).toBe(true);

  const form = page.locator("form.annotation-form");
  await form.getByLabel("Name").fill("a11y-focus");
  await form.getByLabel("Label").fill("kept");
  await form.getByRole("button", { name: "Save annotation" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.locator('.annotation[data-annotation="a11y-focus"]')).toBeVisible();
  await expect(page.locator("#live")).toHaveText("Annotation saved");
  await expect(page.locator("form.annotation-form").getByRole("button", { name: "Save annotation" })).toBeFocused();
  expect(fetches).toBe(1);
});
