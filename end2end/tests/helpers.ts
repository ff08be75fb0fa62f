import AxeBuilder from "@axe-core/playwright";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { APIRequestContext, Page } from "@playwright/test";
import { expect } from "./fixtures";
import { startPlume } from "../global-setup";

/** The first admin of a server started by `startWithAccounts`. */
export const ADMIN = { email: "admin@example.org", password: "correct horse battery staple" };

/** A server of a spec's own with `--auth on`, and the admin's API key. */
export type AccountsServer = {
  url: string;
  /** The admin's API key. */
  key: string;
  /** A REST call with the admin's key. */
  api: (method: string, path: string, body?: unknown) => Promise<Response>;
  /** Stops the server and removes its data. */
  stop: () => Promise<void>;
};

/** Starts `plume serve --auth on` on a fresh data directory and makes an admin key over JSON. */
export async function startWithAccounts(name: string): Promise<AccountsServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `plume-e2e-${name}-`));
  const { process: plume, url } = await startPlume(dataDir, ["--auth", "on"], {
    PLUME_ADMIN_EMAIL: ADMIN.email,
    PLUME_ADMIN_PASSWORD: ADMIN.password,
  });
  const login = await fetch(`${url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(ADMIN),
  });
  expect(login.status).toBe(200);
  const cookie = login.headers.get("set-cookie")!.split(";")[0];
  const made = await fetch(`${url}/v1/system/api_keys`, {
    method: "POST",
    headers: { cookie, "content-type": "application/json" },
    body: JSON.stringify({ data: { name: "e2e", scopes: ["admin"] } }),
  });
  expect(made.status).toBe(201);
  const key = (await made.json()).data.key as string;
  return {
    url,
    key,
    api: (method, path, body) =>
      fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    stop: async () => {
      if (plume.exitCode === null) {
        plume.kill("SIGTERM");
        await new Promise((resolve) => plume.once("exit", resolve));
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

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

/** The project of the agreement tests: its own spans, so other tests' data is untouched. */
export const AGREEMENT_PROJECT = "e2e-agreement";

/**
 * Seeds AGREEMENT_PROJECT (idempotent): four one-span traces rated
 * "quality" by two human identifiers and an LLM judge, who disagree on
 * spans 2 and 3. Returns the span ids.
 */
export async function seedAgreement(request: APIRequestContext): Promise<string[]> {
  const ids = [1, 2, 3, 4].map((n) => `e00000000000000${n}`);
  const spans = ids.map((spanId, i) => ({
    traceId: `ee00000000000000000000000000000${i + 1}`,
    spanId,
    name: `answer ${i + 1}`,
    kind: 1,
    startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000_000n),
    endTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000_000n + 5_000_000n),
    status: { code: 1 },
  }));
  const ingested = await request.post("/v1/traces", {
    headers: { "x-project-name": AGREEMENT_PROJECT },
    data: { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] },
  });
  expect(ingested.status()).toBe(200);
  const labels: Record<string, string[]> = {
    alice: ["good", "bad", "good", "bad"],
    bob: ["good", "good", "bad", "bad"],
    judge: ["good", "bad", "bad", "bad"],
  };
  const data = Object.entries(labels).flatMap(([rater, said]) =>
    ids.map((spanId, i) => ({
      span_id: spanId,
      name: "quality",
      annotator_kind: rater === "judge" ? "LLM" : "HUMAN",
      identifier: rater,
      result: { label: said[i], score: said[i] === "good" ? 1 : 0 },
    })),
  );
  const annotated = await request.post("/v1/span_annotations?sync=true", { data: { data } });
  expect(annotated.status()).toBe(200);
  return ids;
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

/** The serious and critical axe violations (WCAG 2.1 A and AA, best practices) on the page, one line each. */
export async function violations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"])
    .analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}
