import { test, expect } from "./fixtures";
import { hydrated, markDocument, sameDocument, screenshot } from "./helpers";
import { UI } from "../seed-ui";

const listPath = `/projects/${UI.project}`;

test("flag from the list, open the collection, share it publicly, revoke it: 410", async ({
  page,
  browser,
  request,
  consoleErrors,
}) => {
  await page.goto(listPath);
  await hydrated(page);
  // `j` selects the first row, `f` opens its flag menu with the name field focused.
  await page.keyboard.press("j");
  await page.keyboard.press("f");
  const row = page.locator("tr.kbd-selected");
  const menu = row.locator("details[data-flag]");
  await expect(menu).toHaveAttribute("open", "");
  const name = row.locator('input[name="collection"]');
  await expect(name).toBeFocused();
  const spanName = (await row.locator("a.name").textContent())!.trim();
  await name.fill("e2e regressions");
  await menu.locator('input[name="note"]').fill("answer looks off");
  await menu.getByRole("button", { name: "Flag", exact: true }).click();
  await expect(menu.locator(".flag-result")).toHaveText("Added to e2e regressions");

  await page.goto("/collections");
  const listed = page.locator('tr[data-collection="e2e regressions"]');
  await expect(listed.locator("td.num")).toHaveText("1");
  await screenshot(page, "collections.png");
  await listed.locator("a.name").click();
  await expect(page).toHaveURL(/\/collections\/\d+$/);
  const example = page.locator(".collection-example");
  await expect(example).toHaveCount(1);
  await expect(example.locator("a.name")).toHaveText(spanName);
  await expect(example.locator(".share-note")).toHaveText("Note: answer looks off");
  await expect(example.locator("a.name")).toHaveAttribute("href", new RegExp(`^/projects/${UI.project}/spans/[0-9a-f]{16}$`));
  const jsonl = await page.locator(".download-menu a", { hasText: "JSONL" }).getAttribute("href");
  const exported = await request.get(jsonl!);
  expect(exported.status()).toBe(200);
  expect(JSON.parse((await exported.text()).trim().split("\n")[0]).note).toBe("answer looks off");

  await hydrated(page);
  await markDocument(page);
  const links = page.locator('[data-section="public-links"]');
  await links.getByLabel("Hide attributes").fill("openinference.*");
  await links.getByRole("button", { name: "Create public link" }).click();
  const url = await links.locator("input.share-url").inputValue();
  expect(url).toMatch(/\/share\/[A-Za-z0-9_-]{43}$/);
  await expect(links.locator('tr[data-status="active"]')).toHaveCount(1);
  await screenshot(page, "collection.png");

  // Someone outside: a fresh context with no cookies or history.
  const outside = await browser.newContext();
  const shared = await outside.newPage();
  const opened = await shared.goto(url);
  expect(opened?.status()).toBe(200);
  await expect(shared.locator("h1")).toHaveText("e2e regressions");
  await expect(shared.locator(".share-example")).toContainText(spanName);
  await expect(shared.locator(".share-note")).toHaveText("Note: answer looks off");
  await expect(shared.locator('a[href^="/projects"], a[href^="/collections"]')).toHaveCount(0);
  await expect(shared.locator(".share-attributes")).not.toContainText("AGENT");

  await links.locator('tr[data-status="active"]').getByRole("button", { name: "Revoke" }).click();
  await expect(links.locator('tr[data-status="revoked"]')).toHaveCount(1);
  // Creating and revoking updated the page in place; the one-time URL is still shown.
  expect(await sameDocument(page)).toBe(true);
  await expect(links.locator("input.share-url")).toHaveValue(url);
  const gone = await shared.reload();
  expect(gone?.status()).toBe(410);
  await expect(shared.locator(".share-gone")).toContainText("expired or was revoked");
  await expect(shared.locator("body")).not.toContainText(spanName);
  await outside.close();
  expect(consoleErrors).toEqual([]);
});

test("flag all matching this filter takes every matching trace's root span", async ({ page }) => {
  await page.goto(`${listPath}?q=Paris`);
  await hydrated(page);
  const all = page.locator("details[data-flag-all]");
  await all.locator("summary").click();
  await expect(all.locator("summary")).toHaveText("Flag all 1 matching this filter");
  await all.locator('input[name="collection"]').fill("paris");
  await all.getByRole("button", { name: "Flag 1 traces" }).click();
  await expect(all.locator(".flag-result")).toHaveText("Added to paris");

  await page.goto(listPath);
  await hydrated(page);
  const unfiltered = page.locator("details[data-flag-all]");
  await unfiltered.locator("summary").click();
  await expect(unfiltered.locator("summary")).toHaveText("Flag all 3 matching this filter");
  await unfiltered.locator('input[name="collection"]').fill("paris");
  await unfiltered.getByRole("button", { name: "Flag 3 traces" }).click();
  await expect(unfiltered.locator(".flag-result")).toHaveText("Added 2 spans to paris");
});

test("flagging on the span page lists the collection in place, and removing it too", async ({ page, consoleErrors }) => {
  await page.goto(`/projects/${UI.project}/spans/${UI.refundTool}`);
  await hydrated(page);
  await markDocument(page);
  const panel = page.locator('[data-section="collections"]');
  await expect(panel).toContainText("Not in any collection.");
  // `f` opens the flag form with the name field focused.
  await page.keyboard.press("f");
  await expect(panel.locator('input[name="collection"]:not([type=hidden])')).toBeFocused();
  await page.keyboard.type("tool calls");
  await panel.getByRole("button", { name: "Flag", exact: true }).click();
  await expect(panel.locator(".flag-result")).toHaveText("Added to tool calls");
  await expect(panel.locator('li[data-collection="tool calls"]')).toBeVisible();

  await panel.locator('li[data-collection="tool calls"]').getByRole("button", { name: "Remove" }).click();
  await expect(panel).toContainText("Not in any collection.");
  expect(await sameDocument(page)).toBe(true);
  expect(consoleErrors).toEqual([]);
});

test("the flag form works with JavaScript off, and so does removing", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`/projects/${UI.project}/spans/${UI.refundLlm}`);
  const panel = page.locator('[data-section="collections"]');
  await expect(panel).toContainText("Not in any collection.");
  await panel.locator('input[name="collection"]').fill("no-js picks");
  await panel.locator('input[name="note"]').fill("flagged without JS");
  await Promise.all([page.waitForURL(`**/spans/${UI.refundLlm}`), panel.getByRole("button", { name: "Flag", exact: true }).click()]);
  await expect(panel.locator('li[data-collection="no-js picks"]')).toBeVisible();

  await page.goto("/collections");
  await page.locator('tr[data-collection="no-js picks"] a.name').click();
  await expect(page.locator(".collection-example .share-note")).toHaveText("Note: flagged without JS");

  await page.goto(`/projects/${UI.project}/spans/${UI.refundLlm}`);
  await Promise.all([
    page.waitForURL(`**/spans/${UI.refundLlm}`),
    panel.locator('li[data-collection="no-js picks"]').getByRole("button", { name: "Remove" }).click(),
  ]);
  await expect(panel).toContainText("Not in any collection.");

  // A public link made without JavaScript: the page after the redirect shows its URL, once.
  await page.goto("/collections");
  await page.locator('tr[data-collection="no-js picks"] a.name').click();
  const links = page.locator('[data-section="public-links"]');
  await links.getByRole("button", { name: "Create public link" }).click();
  await expect(links.locator('tr[data-status="active"]')).toHaveCount(1);
  const url = await links.locator("input.share-url").inputValue();
  expect(url).toMatch(/\/share\/[A-Za-z0-9_-]{43}$/);
  const shared = await context.newPage();
  expect((await shared.goto(url))?.status()).toBe(200);
  await page.reload();
  await expect(links.locator("input.share-url")).toHaveCount(0);
  await context.close();
});
