import { test, expect } from "./fixtures";
import { hydrated, markDocument, sameDocument, screenshot } from "./helpers";
import { UI } from "../seed-ui";

const TRACE = `/projects/${UI.project}/traces/${UI.refundTrace}`;

test("the trace page shows the span tree with a waterfall, root selected", async ({ page, consoleErrors }) => {
  const response = await page.goto(TRACE);
  expect(response?.status()).toBe(200);
  const rows = page.locator(".tree-row");
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toHaveAttribute("data-span", UI.refundRoot);
  await expect(rows.nth(1)).toHaveAttribute("data-span", UI.refundLlm);
  await expect(rows.nth(2)).toHaveAttribute("data-span", UI.refundTool);
  await expect(rows.nth(0)).toHaveClass(/selected/);
  // The LLM call starts 100 ms into a 2.4 s trace and lasts 1.5 s.
  const bar = await rows.nth(1).locator(".bar").getAttribute("style");
  expect(bar).toContain("left:4.17%");
  expect(bar).toContain("width:62.50%");
  await expect(page.locator(".span-detail h2")).toHaveText("refund-agent");
  await hydrated(page);
  expect(consoleErrors).toEqual([]);
});

test("selecting a span shows it beside the tree with its own URL, without a reload", async ({ page, consoleErrors }) => {
  await page.goto(TRACE);
  await hydrated(page);
  await markDocument(page);

  await page.locator(`.tree-row[data-span="${UI.refundLlm}"] a`).click();
  await expect(page).toHaveURL(new RegExp(`\\?span=${UI.refundLlm}$`));
  await expect(page.locator(".span-detail h2")).toHaveText("ChatCompletion");
  await expect(page.locator(`.tree-row[data-span="${UI.refundLlm}"]`)).toHaveClass(/selected/);
  await expect(page.locator(".io-input .message.role-system")).toContainText("You are a helpful support agent.");
  expect(await sameDocument(page)).toBe(true);
  await expect(page).toHaveTitle(`Trace ${UI.refundTrace} · Plume`);
  await screenshot(page, "trace.png");

  // The swapped-in panel is live: its flag form (an island) flags this span.
  const collections = page.locator('.detail-panel [data-section="collections"]');
  await collections.locator('input[name="collection"]:not([type=hidden])').fill("from the trace page");
  await collections.getByRole("button", { name: "Flag", exact: true }).click();
  await expect(collections.locator(".flag-result")).toHaveText("Added to from the trace page");
  await expect(collections.locator('li[data-collection="from the trace page"]')).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`\\?span=${UI.refundLlm}$`));
  // Take it out again (other tests expect this span in no collection).
  await collections.locator('li[data-collection="from the trace page"]').getByRole("button", { name: "Remove" }).click();
  await expect(collections).toContainText("Not in any collection.");

  // Back shows the root again, still without a reload.
  await page.goBack();
  await expect(page.locator(".span-detail h2")).toHaveText("refund-agent");
  await expect(page.locator(`.tree-row[data-span="${UI.refundRoot}"]`)).toHaveClass(/selected/);
  expect(await sameDocument(page)).toBe(true);

  // The URL alone shows the same view.
  await page.goto(`${TRACE}?span=${UI.refundTool}`);
  await expect(page.locator(".span-detail h2")).toHaveText("lookup_order");
  expect(consoleErrors).toEqual([]);
});

test("unknown traces answer 404", async ({ page }) => {
  const response = await page.goto(`/projects/${UI.project}/traces/ffffffffffffffffffffffffffffffff`);
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
});
