import { test, expect } from "./fixtures";
import { screenshot } from "./helpers";


test("the projects page lists every project with its counts", async ({ page, consoleErrors }) => {
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page).toHaveTitle("Plume");

  const shop = page.locator('tr[data-project="e2e-shop"]');
  await expect(shop.locator("td.traces")).toHaveText("2");
  await expect(shop.locator("td.spans")).toHaveText("3");
  const other = page.locator('tr[data-project="e2e-other"]');
  await expect(other.locator("td.traces")).toHaveText("1");
  await expect(other.locator("td.spans")).toHaveText("1");

  await page.waitForLoadState("networkidle");
  // 404s for missing assets (e.g. the stylesheet) show up as console errors.
  expect(consoleErrors).toEqual([]);
  // Only a page that passed the checks replaces the committed screenshot.
  await screenshot(page, "projects.png");
});

test("the page hydrates: the filter box narrows the table", async ({ page, consoleErrors }) => {
  const wasm = page.waitForResponse((r) => r.url().endsWith("/pkg/plume_bg.wasm"));
  await page.goto("/", { waitUntil: "networkidle" });
  const wasmResponse = await wasm;
  expect(wasmResponse.status()).toBe(200);
  expect(wasmResponse.headers()["content-type"]).toContain("application/wasm");

  const shop = page.locator('tr[data-project="e2e-shop"]');
  const other = page.locator('tr[data-project="e2e-other"]');
  await expect(shop).toBeVisible();
  await expect(other).toBeVisible();

  // Only the hydrated WASM reacts to typing; the server-rendered HTML cannot.
  const filter = page.locator('input[aria-label="Filter projects"]');
  await expect(async () => {
    await filter.fill("");
    await filter.fill("shop");
    await expect(other).toBeHidden({ timeout: 1_000 });
  }, "typing 'shop' should hide e2e-other once the page has hydrated").toPass({ timeout: 15_000 });
  await expect(shop).toBeVisible();

  await filter.fill("");
  await expect(other).toBeVisible();
  expect(consoleErrors).toEqual([]);
});

test("an unknown URL answers 404 with the not-found page", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
});

test("each project links to its traces and sums up its annotations with a 👍 chart", async ({ page, request }) => {
  const { UI } = await import("../seed-ui");
  const posted = await request.post("/v1/span_annotations?sync=true", {
    data: {
      data: [
        {
          span_id: UI.weatherRoot,
          name: "helpfulness",
          annotator_kind: "LLM",
          result: { label: "helpful", score: 0.75 },
        },
      ],
    },
  });
  expect(posted.status()).toBe(200);
  await page.goto("/");
  const row = page.locator(`tr[data-project="${UI.project}"]`);
  await expect(row.locator(`a[href="/projects/${UI.project}"]`)).toHaveText(UI.project);
  await expect(row.locator('li[data-annotation="helpfulness"]')).toContainText("helpfulness 1 · mean 0.75 (helpful 1)");
  await row.locator(`a[href="/projects/${UI.project}"]`).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${UI.project}$`));
  await expect(page.locator("tr.row")).toHaveCount(3);
});
