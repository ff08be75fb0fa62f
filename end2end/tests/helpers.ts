import path from "node:path";
import type { APIRequestContext, Page } from "@playwright/test";
import { expect } from "./fixtures";

/** An annotation as `GET /v1/projects/{p}/span_annotations` lists it. */
export type Annotation = {
  id: string;
  name: string;
  annotator_kind: string;
  source: string;
  identifier: string;
  result: { label: string | null; score: number | null; explanation: string | null };
};

/** The span's annotations from the REST API (the same store the UI writes). */
export async function spanAnnotations(request: APIRequestContext, project: string, spanId: string): Promise<Annotation[]> {
  const response = await request.get(`/v1/projects/${project}/span_annotations?span_ids=${spanId}&limit=100`);
  expect(response.status()).toBe(200);
  return (await response.json()).data as Annotation[];
}

/** Waits until the WASM has hydrated the page (the shortcuts component marks `<body>`). */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated]")).toBeAttached({ timeout: 15_000 });
}

/** Marks the current document, so that `sameDocument` can tell whether a page load happened since. */
export async function markDocument(page: Page) {
  await page.evaluate(() => ((window as unknown as { __plumeMark: boolean }).__plumeMark = true));
}

/** Whether the document marked by `markDocument` is still the one shown (no reload, no navigation). */
export async function sameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __plumeMark?: boolean }).__plumeMark === true);
}

/** Fails the test if the page opens any `alert`/`confirm` dialog. */
export function failOnDialog(page: Page, seen: string[]) {
  page.on("dialog", async (dialog) => {
    seen.push(dialog.message());
    await dialog.dismiss();
  });
}

/** Where `make screenshots` puts the README's pictures. */
const SCREENSHOTS = path.resolve(__dirname, "../../docs/screenshots");

/**
 * Saves a screenshot to docs/screenshots/`name` when `PLUME_SCREENSHOTS` is set
 * (`make screenshots`), so that ordinary test runs leave the tree untouched.
 */
export async function screenshot(
  target: { screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown> },
  name: string,
  fullPage = true,
) {
  if (process.env.PLUME_SCREENSHOTS) {
    // A full-page shot stitches the viewport down the page: a sticky header
    // would be stamped across the middle of the picture.
    if (fullPage && "addStyleTag" in target) {
      await (target as unknown as Page).addStyleTag({ content: ".topbar { position: static !important; }" });
    }
    await target.screenshot({ path: path.join(SCREENSHOTS, name), ...(fullPage ? { fullPage } : {}) });
  }
}

/**
 * A webhook to `url` (only annotations labelled `down` in `project`), sent a
 * test event so that its delivery log has a row; the path of its page.
 */
export async function webhookWithLog(request: APIRequestContext, url: string, project: string): Promise<string> {
  const made = await request.post("/v1/webhooks", {
    data: { url, events: ["annotation.created", "annotation.updated"], filter: { project, labels: ["down"] } },
  });
  expect(made.status()).toBe(200);
  const id = (await made.json()).data.id as string;
  expect((await request.post(`/v1/webhooks/${id}/test`)).status()).toBe(200);
  return `/settings/webhooks/${id}`;
}
