import { test, expect } from "./fixtures";
import { AGREEMENT_PROJECT, seedAgreement, spanAnnotations } from "./helpers";

/**
 * The agreement page (figures, heat map with its table, disagreements that
 * link to their spans) and "Annotate all" from the trace list: the confirm
 * step shows the count, and the annotation lands on every span.
 */

test("the agreement page shows the figures, the heat map and each disagreement", async ({ page, request }) => {
  const ids = await seedAgreement(request);
  await page.goto(`/projects/${AGREEMENT_PROJECT}`);
  await page.getByRole("link", { name: "Agreement" }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${AGREEMENT_PROJECT}/agreement$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Agreement");
  // The name is chosen with a plain GET form.
  await page.getByLabel("Annotation name").selectOption("quality");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/\?name=quality$/);
  await expect(page.locator('[data-figure="targets"]')).toHaveText("4");
  await expect(page.locator('[data-figure="annotators"]')).toHaveText("3");
  await expect(page.locator('[data-figure="kappa"]')).toHaveText("—");
  const map = page.getByRole("img", { name: /Heat map of human labels/ });
  await expect(map).toBeVisible();
  // Humans against the judge: alice and bob on 4 spans = 8 pairs, 6 agree.
  await expect(map).toHaveAccessibleName(/6 of 8 pairs agree/);
  const table = page.getByRole("table", { name: /human \(rows\) by LLM/ });
  await expect(table.getByRole("row")).toHaveCount(3);
  await expect(page.getByRole("heading", { name: "Disagreements (2)" })).toBeVisible();
  await page.getByRole("link", { name: `Span ${ids[1]}` }).click();
  await expect(page).toHaveURL(new RegExp(`/spans/${ids[1]}$`));
});

test("annotate all matching: the confirm step shows the count, then every span has it", async ({ page, request }) => {
  const ids = await seedAgreement(request);
  const name = `bulk ${Date.now()}`;
  await page.goto(`/projects/${AGREEMENT_PROJECT}`);
  await page.getByRole("link", { name: "Annotate all matching…" }).click();
  await expect(page.locator("[data-count]")).toHaveText("4 spans");
  const submit = page.getByRole("button", { name: "Annotate 4 spans" });
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Label").fill("reviewed");
  // Not without ticking the confirmation.
  await submit.click();
  await expect(page.getByRole("checkbox", { name: /Yes, write this annotation on all 4 spans/ })).toBeVisible();
  expect((await spanAnnotations(request, AGREEMENT_PROJECT, ids[0])).map((a) => a.name)).not.toContain(name);
  await page.getByRole("checkbox", { name: /Yes, write this annotation on all 4 spans/ }).check();
  await submit.click();
  await expect(page.getByRole("status").filter({ hasText: `Annotated 4 spans with “${name}”` })).toBeVisible();
  for (const id of ids) {
    const mine = (await spanAnnotations(request, AGREEMENT_PROJECT, id)).filter((a) => a.name === name);
    expect(mine.map((a) => [a.result.label, a.annotator_kind, a.source])).toEqual([["reviewed", "HUMAN", "APP"]]);
  }
});
