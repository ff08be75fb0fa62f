import type { APIRequestContext } from "@playwright/test";
import { test, expect } from "./fixtures";
import { hydrated, violations } from "./helpers";

/** A retriever span of its own project, with three documents as OpenInference
 * sends them (flat `retrieval.documents.N.…` keys); the second is long and
 * carries markup that must show as text. */
const PROJECT = "e2e-documents";
const TRACE = "d0c00000000000000000000000000001";
const SPAN = "d0c0000000000001";
const LONG = "Refunds are issued within 14 days. <b>bold?</b> " + "More policy text. ".repeat(60);

async function seedRetriever(request: APIRequestContext) {
  const docs: [string, string, string][] = [
    ["policy-1", "Orders can be returned within 30 days.", "0.92"],
    ["policy-2", LONG, "0.81"],
    ["faq-7", "Shipping is free above 50 euros.", "0.40"],
  ];
  const attributes = [{ key: "openinference.span.kind", value: { stringValue: "RETRIEVER" } }];
  docs.forEach(([id, content, score], n) => {
    attributes.push({ key: `retrieval.documents.${n}.document.id`, value: { stringValue: id } });
    attributes.push({ key: `retrieval.documents.${n}.document.content`, value: { stringValue: content } });
    attributes.push({ key: `retrieval.documents.${n}.document.metadata`, value: { stringValue: '{"source":"kb"}' } });
    attributes.push({ key: `retrieval.documents.${n}.document.score`, value: { doubleValue: Number(score) } as never });
  });
  const start = (1_700_000_000_000n * 1_000_000n).toString();
  const span = { traceId: TRACE, spanId: SPAN, name: "retrieve", kind: 1, startTimeUnixNano: start, endTimeUnixNano: start, attributes, status: { code: 1 } };
  const response = await request.post("/v1/traces", {
    data: { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [span] }] }] },
    headers: { "x-project-name": PROJECT },
  });
  expect(response.status()).toBe(200);
}

test("the span page lists retrieved documents, and 👍 by keyboard marks one relevant", async ({ page, request, consoleErrors }) => {
  await seedRetriever(request);
  await page.goto(`/projects/${PROJECT}/spans/${SPAN}`);
  const section = page.locator('[data-section="documents"]');
  await expect(section.getByRole("heading", { name: "Retrieved documents" })).toBeVisible();
  const documents = section.locator("li.document");
  await expect(documents).toHaveCount(3);
  await expect(documents.nth(0)).toContainText("policy-1");
  await expect(documents.nth(0)).toContainText("score 0.92");
  await expect(documents.nth(0)).toContainText("Orders can be returned within 30 days.");
  // Markup in content is text; the long one is folded behind "Show full document".
  const long = documents.nth(1);
  await expect(long.locator(".document-content").first()).toContainText("<b>bold?</b>");
  await expect(long.locator("b")).toHaveCount(0);
  const full = long.locator("details.document-full");
  await expect(full.locator(".document-content")).toBeHidden();
  await full.locator("summary").focus();
  await page.keyboard.press("Enter");
  await expect(full.locator(".document-content")).toBeVisible();
  await hydrated(page);

  // 👍 on the third document, by keyboard only.
  const up = section.getByRole("button", { name: "Relevant: Document 2", exact: true });
  await up.focus();
  await page.keyboard.press("Enter");
  await expect(section.getByRole("button", { name: "Relevant: Document 2", exact: true })).toHaveAttribute("aria-pressed", "true");
  await expect(documents.nth(2)).toContainText("relevance");
  const listed = await request.get(`/v1/projects/${PROJECT}/document_annotations?span_ids=${SPAN}`);
  expect(listed.status()).toBe(200);
  const votes = (await listed.json()).data.filter((a: { name: string }) => a.name === "relevance");
  expect(votes).toHaveLength(1);
  expect(votes[0]).toMatchObject({ document_position: 2, annotator_kind: "HUMAN", result: { label: "relevant", score: 1 } });

  expect(await violations(page)).toEqual([]);
  expect(consoleErrors).toEqual([]);
});

test("retrieved documents fit a 360 px screen", async ({ page, request }) => {
  await seedRetriever(request);
  await page.setViewportSize({ width: 360, height: 800 });
  await page.goto(`/projects/${PROJECT}/spans/${SPAN}`);
  await expect(page.locator('[data-section="documents"] li.document')).toHaveCount(3);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});
