import { test, expect } from "./fixtures";
import { failOnDialog, hydrated, markDocument, sameDocument, screenshot, spanAnnotations, violations } from "./helpers";
import { UI } from "../seed-ui";

const LIST = `/projects/${UI.project}`;

test("the trace list shows one row per seeded trace, newest first", async ({ page, consoleErrors }) => {
  const response = await page.goto(LIST);
  expect(response?.status()).toBe(200);
  const rows = page.locator("tr.row");
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toHaveAttribute("data-trace", UI.weatherTrace);
  await expect(rows.nth(2)).toHaveAttribute("data-trace", UI.refundTrace);
  const refund = page.locator(`tr[data-trace="${UI.refundTrace}"]`);
  await expect(refund.locator(".name")).toHaveText("refund-agent");
  await expect(refund.locator("td.input")).toHaveText("How do I get a refund for order 42?");
  await expect(refund.locator("td.output")).toContainText("on its way");
  await expect(refund.locator("td.num").nth(0)).toHaveText("2.40 s");
  await expect(refund.locator("td.num").nth(1)).toHaveText("160"); // 120 prompt + 40 completion

  await page.goto(`${LIST}?sort=latency`);
  await expect(rows.nth(0)).toHaveAttribute("data-trace", UI.weatherTrace); // 5 s
  await expect(rows.nth(2)).toHaveAttribute("data-trace", UI.xssTrace); // 0.8 s
  await hydrated(page);
  expect(consoleErrors).toEqual([]);
});

test("a filter narrows the list, lives in the URL and survives a reload", async ({ page }) => {
  await page.goto(LIST);
  await page.getByLabel("Search input and output").fill("refund");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/[?&]q=refund/);
  const rows = page.locator("tr.row");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-trace", UI.refundTrace);

  await page.reload();
  await expect(rows).toHaveCount(1);
  await expect(page.getByLabel("Search input and output")).toHaveValue("refund");

  await page.goto(`${LIST}?status=ERROR`);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-trace", UI.weatherTrace);
  await expect(page.locator('select[name="status"]')).toHaveValue("ERROR");

  await page.goto(`${LIST}?kind=CHAIN`);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-trace", UI.xssTrace);

  await page.goto(`${LIST}?q=no-such-text-anywhere`);
  await expect(rows).toHaveCount(0);
  await expect(page.getByText("No traces match these filters")).toBeVisible();
});

test("the condition box finds traces by any span, by keyboard, and says why it refuses one", async ({
  page,
  context,
  baseURL,
}) => {
  await page.goto(LIST);
  await hydrated(page);
  const box = page.getByRole("textbox", { name: "Condition (any span)" });
  await box.focus();
  // The failing tool call sits below the refund trace's root.
  await page.keyboard.type("span_kind == 'TOOL' and status_code == 'ERROR'");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/[?&]condition=span_kind/);
  const rows = page.locator("tr.row");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-trace", UI.refundTrace);
  await expect(box).toHaveValue("span_kind == 'TOOL' and status_code == 'ERROR'");
  await expect(box).not.toHaveAttribute("aria-invalid", /.*/);

  // Outside the language: no rows, the reason announced and tied to the box, which has focus.
  await box.focus();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.type("len(name) > 3");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/[?&]condition=len/);
  const alert = page.getByRole("alert");
  await expect(alert).toContainText("function call");
  await expect(rows).toHaveCount(0);
  await expect(box).toHaveAttribute("aria-invalid", "true");
  await expect(box).toHaveAccessibleDescription(/function call/);
  await expect(box).toBeFocused();
  const refused = `${LIST}?condition=${encodeURIComponent("len(name) > 3")}`;
  expect((await page.request.get(refused)).status()).toBe(422);

  // Both themes, wide and at 360 px (where the filters fold: a refusal unfolds them).
  for (const theme of ["light", "dark"]) {
    await context.addCookies([{ name: "plume_theme", value: theme, url: baseURL! }]);
    for (const size of [{ width: 1280, height: 800 }, { width: 360, height: 740 }]) {
      await page.setViewportSize(size);
      await page.goto(refused);
      await expect(alert).toBeVisible();
      await expect(box).toBeVisible();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(size.width);
      expect(await violations(page), `${theme} ${size.width}px`).toEqual([]);
    }
  }
});

test("👍 on a row annotates the trace's root span", async ({ page, request, consoleErrors }) => {
  // The page swapped in after the click holds the <script> payload row again: it must not run either.
  const dialogs: string[] = [];
  failOnDialog(page, dialogs);
  await page.goto(LIST);
  await hydrated(page);
  const row = page.locator(`tr[data-trace="${UI.xssTrace}"]`);
  await markDocument(page);
  await row.locator('[data-thumb="up"]').click();
  await expect(row.locator('.chip[data-annotation="user feedback"]')).toContainText("thumbs-up");
  await expect(row.locator('[data-thumb="up"]')).toHaveAttribute("aria-pressed", "true");
  // The row updated in place: the page was swapped, not reloaded.
  expect(await sameDocument(page)).toBe(true);
  await expect(row.locator("td.input")).toHaveText("<script>alert(1)</script>");
  expect(dialogs).toEqual([]);

  const [feedback] = (await spanAnnotations(request, UI.project, UI.xssRoot)).filter((a) => a.name === "user feedback");
  expect(feedback.result).toMatchObject({ label: "thumbs-up", score: 1 });
  expect(feedback.source).toBe("APP");
  expect(feedback.annotator_kind).toBe("HUMAN");

  // The annotation filters see it.
  await page.goto(`${LIST}?ann=user+feedback&label=thumbs-up`);
  await expect(page.locator("tr.row")).toHaveCount(1);
  await page.goto(`${LIST}?unannotated=1`);
  await expect(page.locator(`tr[data-trace="${UI.xssTrace}"]`)).toHaveCount(0);
  expect(consoleErrors).toEqual([]);
});

test("a <script> input is shown as text and never runs", async ({ page }) => {
  const dialogs: string[] = [];
  failOnDialog(page, dialogs);
  await page.goto(LIST);
  const row = page.locator(`tr[data-trace="${UI.xssTrace}"]`);
  await expect(row.locator("td.input")).toHaveText("<script>alert(1)</script>");
  await expect(row.locator("td.output")).toHaveText("<img src=x onerror=alert(2)>");
  await expect(row.locator("td.input script")).toHaveCount(0);
  await hydrated(page);
  expect(dialogs).toEqual([]);
});

test("keyboard: j/k move, 1 gives 👍, ? shows help, Enter opens", async ({ page, request }) => {
  await page.goto(LIST);
  await hydrated(page);
  await page.keyboard.press("?");
  await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeHidden();

  const rows = page.locator("tr.row");
  await page.keyboard.press("j");
  await page.keyboard.press("j");
  await page.keyboard.press("k");
  await expect(rows.nth(0)).toHaveClass(/kbd-selected/);
  await page.keyboard.press("2");
  await expect(rows.nth(0).locator('.chip[data-annotation="user feedback"]')).toContainText("thumbs-down");
  const [feedback] = (await spanAnnotations(request, UI.project, UI.weatherRoot)).filter((a) => a.name === "user feedback");
  expect(feedback.result).toMatchObject({ label: "thumbs-down", score: 0 });

  await screenshot(page, "traces.png");
  await page.keyboard.press("j");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/traces/${UI.xssTrace}`));
});

test("unknown projects answer 404", async ({ page }) => {
  const response = await page.goto("/projects/no-such-project");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
});
