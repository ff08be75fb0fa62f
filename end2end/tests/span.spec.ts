import { test, expect } from "./fixtures";
import { failOnDialog, hydrated, markDocument, sameDocument, screenshot, spanAnnotations } from "./helpers";
import { UI } from "../seed-ui";

const spanPath = (spanId: string) => `/projects/${UI.project}/spans/${spanId}`;

test("the span page shows input, output, attributes and timing", async ({ page, consoleErrors }) => {
  const response = await page.goto(spanPath(UI.refundLlm));
  expect(response?.status()).toBe(200);
  await expect(page.locator(".span-detail h2")).toHaveText("ChatCompletion");
  await expect(page.locator(".span-head .kind")).toHaveText("LLM");
  await expect(page.locator(".facts")).toContainText("1.50 s");

  const input = page.locator(".io-input");
  await expect(input.locator(".message")).toHaveCount(2);
  await expect(input.locator(".message.role-system")).toContainText("You are a helpful support agent.");
  await expect(input.locator(".message.role-user")).toContainText("How do I get a refund for order 42?");
  await expect(page.locator(".io-output .message.role-assistant")).toContainText("Your refund for order 42 is on its way.");

  const attributes = page.locator('[data-section="attributes"]');
  await expect(attributes).toContainText("model_name");
  await expect(attributes).toContainText("gpt-4o-mini");
  await expect(attributes).toContainText("prompt");
  await expect(page.locator('[data-section="resource"]')).toContainText("support-bot");
  await hydrated(page);
  expect(consoleErrors).toEqual([]);
});

test("JSON input is pretty-printed and exceptions show their stack trace", async ({ page }) => {
  await page.goto(spanPath(UI.refundTool));
  await expect(page.locator(".status-message")).toHaveText("order service timed out");
  const events = page.locator('[data-section="events"]');
  await expect(events.locator(".exception-message")).toContainText("TimeoutError");
  await expect(events.locator("pre.stack")).toContainText('File "tools.py", line 7');
});

test("the annotation form creates an annotation the REST API returns; edit and delete work", async ({
  page,
  request,
  consoleErrors,
}) => {
  await page.goto(spanPath(UI.refundRoot));
  await hydrated(page);
  await markDocument(page);
  const form = page.locator("form.annotation-form");
  await form.getByLabel("Name").fill("correctness");
  // A name alone is refused: the server's reason shows beside the form.
  await form.getByRole("button", { name: "Save annotation" }).click();
  const refusal = page.locator("form.annotation-form + [role=alert]");
  await expect(refusal).toHaveText("Give a label, a score or an explanation");
  await form.getByLabel("Label").fill("correct");
  await form.getByLabel("Score").fill("0.9");
  await form.getByLabel(/Explanation/).fill("Matches the refund policy");
  await form.getByRole("button", { name: "Save annotation" }).click();

  const item = page.locator('.annotation[data-annotation="correctness"]');
  await expect(item).toContainText("correct");
  await expect(item).toContainText("score 0.9");
  await expect(item).toContainText("Matches the refund policy");
  await expect(item).toContainText("HUMAN");
  await expect(refusal).toHaveCount(0);
  let [saved] = (await spanAnnotations(request, UI.project, UI.refundRoot)).filter((a) => a.name === "correctness");
  expect(saved.result).toEqual({ label: "correct", score: 0.9, explanation: "Matches the refund policy" });
  expect(saved.source).toBe("APP");
  expect(saved.annotator_kind).toBe("HUMAN");

  // Edit in place.
  await item.getByText("Edit").click();
  await item.getByLabel("Label").fill("partly");
  await item.getByLabel("Score").fill("0.5");
  await item.getByRole("button", { name: "Save changes" }).click();
  await expect(item.locator(".annotation-label")).toHaveText("partly");
  [saved] = (await spanAnnotations(request, UI.project, UI.refundRoot)).filter((a) => a.name === "correctness");
  expect(saved.result).toMatchObject({ label: "partly", score: 0.5 });

  // A config's categorical value is one click.
  await page.locator('.config[data-config="quality"]').getByRole("button", { name: "good" }).click();
  await expect(page.locator('.annotation[data-annotation="quality"]')).toContainText("good");

  // A note.
  await page.getByLabel("Note").fill("Customer asked twice");
  // An impatient double click still adds one note.
  await page.getByRole("button", { name: "Add note" }).dblclick();
  await expect(page.locator(".note")).toContainText("Customer asked twice");
  await expect(page.locator(".note")).toHaveCount(1);

  await screenshot(page, "span.png");

  // Delete.
  await item.getByRole("button", { name: "Delete" }).click();
  await expect(item).toHaveCount(0);
  const names = (await spanAnnotations(request, UI.project, UI.refundRoot)).map((a) => a.name).sort();
  expect(names).toEqual(["note", "quality"]);
  // Every form above updated the page in place.
  expect(await sameDocument(page)).toBe(true);
  // The refusal above is the one failed request: a 422, not a 500.
  expect(consoleErrors).toEqual([expect.stringMatching(/^HTTP 422 for \/api\/save_annotation/)]);
});

test("the forms work with JavaScript disabled", async ({ browser, baseURL, request }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, baseURL });
  const page = await context.newPage();
  await page.goto(spanPath(UI.refundTool));
  const form = page.locator("form.annotation-form");
  // A refusal comes back as a page that says why.
  await form.getByLabel("Name").fill("no-js");
  await form.getByRole("button", { name: "Save annotation" }).click();
  await expect(page.locator("form.annotation-form + [role=alert]")).toHaveText("Give a label, a score or an explanation");

  await form.getByLabel("Name").fill("no-js");
  await form.getByLabel("Label").fill("works");
  await form.getByLabel(/Explanation/).fill("posted without JavaScript");
  await form.getByRole("button", { name: "Save annotation" }).click();
  // The server function redirects back to the span page, which now lists it.
  await expect(page).toHaveURL(new RegExp(`/spans/${UI.refundTool}\\??$`));
  await expect(page.locator('.annotation[data-annotation="no-js"]')).toContainText("posted without JavaScript");

  await page.locator('[data-thumb="up"]').first().click();
  await expect(page.locator('.annotation[data-annotation="user feedback"]')).toContainText("thumbs-up");

  await page.locator('.annotation[data-annotation="no-js"]').getByRole("button", { name: "Delete" }).click();
  await expect(page.locator('.annotation[data-annotation="no-js"]')).toHaveCount(0);
  const names = (await spanAnnotations(request, UI.project, UI.refundTool)).map((a) => a.name);
  expect(names).toEqual(["user feedback"]);
  await context.close();
});

test("keyboard: e focuses the explanation and 1 gives 👍", async ({ page, request }) => {
  await page.goto(spanPath(UI.refundLlm));
  await hydrated(page);
  await page.keyboard.press("e");
  await expect(page.locator("#annotation-explanation")).toBeFocused();
  await page.keyboard.press("Escape");
  await page.keyboard.press("1");
  await expect(page.locator('.annotation[data-annotation="user feedback"]')).toContainText("thumbs-up");
  const [feedback] = (await spanAnnotations(request, UI.project, UI.refundLlm)).filter((a) => a.name === "user feedback");
  expect(feedback.result).toMatchObject({ label: "thumbs-up", score: 1 });
});

test("a <script> payload is shown as text on the span page", async ({ page }) => {
  const dialogs: string[] = [];
  failOnDialog(page, dialogs);
  await page.goto(spanPath(UI.xssRoot));
  await expect(page.locator(".io-input .plain")).toHaveText("<script>alert(1)</script>");
  await expect(page.locator(".io-output .plain")).toHaveText("<img src=x onerror=alert(2)>");
  await expect(page.locator(".io-output img")).toHaveCount(0);
  await hydrated(page);
  expect(dialogs).toEqual([]);
});

test("unknown spans answer 404", async ({ page }) => {
  const response = await page.goto(spanPath("ffffffffffffffff"));
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
});
