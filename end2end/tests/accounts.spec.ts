import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "@playwright/test";
import { test, expect } from "./fixtures";
import { startPlume } from "../global-setup";

/**
 * Accounts in a real browser, on a server of its own with `--auth on`: log
 * in, annotate and see your name on it; a second reviewer's annotation on
 * the same span stays separate; a viewer gets no form and a forged post is
 * refused; the session cookie's flags; logout; and the public surfaces (a
 * share link, the feedback widget) still work for someone logged out.
 */

const PROJECT = "e2e-accounts";
const ADMIN = { email: "admin@example.org", password: "correct horse battery staple" };
const PASSWORD = "a long enough password";
const ANN = "ann@example.org";
const BOB = "bob@example.org";
const VIC = "vic@example.org";

let plume: ChildProcess;
let plumeUrl: string;
let dataDir: string;
let adminKey: string;
const spanId = randomBytes(8).toString("hex");
const traceId = randomBytes(16).toString("hex");

/** A REST call with the admin's key. */
async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${plumeUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

test.beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "plume-e2e-accounts-"));
  ({ process: plume, url: plumeUrl } = await startPlume(dataDir, ["--auth", "on"], {
    PLUME_ADMIN_EMAIL: ADMIN.email,
    PLUME_ADMIN_PASSWORD: ADMIN.password,
  }));

  // The admin logs in once over JSON to make a key, the users and the data.
  const login = await fetch(`${plumeUrl}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(ADMIN),
  });
  expect(login.status).toBe(200);
  const cookie = login.headers.get("set-cookie")!.split(";")[0];
  const made = await fetch(`${plumeUrl}/v1/system/api_keys`, {
    method: "POST",
    headers: { cookie, "content-type": "application/json" },
    body: JSON.stringify({ data: { name: "e2e", scopes: ["admin"] } }),
  });
  expect(made.status).toBe(201);
  adminKey = (await made.json()).data.key;
  for (const [email, role] of [
    [ANN, "ANNOTATOR"],
    [BOB, "MEMBER"],
    [VIC, "VIEWER"],
  ]) {
    const response = await api("POST", "/v1/users", { user: { email, role, password: PASSWORD } });
    expect(response.status).toBe(201);
  }
  const span = {
    traceId,
    spanId,
    name: "answer",
    kind: 1,
    startTimeUnixNano: "1700000000000000000",
    endTimeUnixNano: "1700000001000000000",
    attributes: [
      { key: "openinference.span.kind", value: { stringValue: "LLM" } },
      { key: "input.value", value: { stringValue: "Where is my parcel?" } },
      { key: "output.value", value: { stringValue: "It arrives tomorrow." } },
    ],
    status: { code: 1 },
  };
  const exported = await fetch(`${plumeUrl}/v1/traces`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json", "x-project-name": PROJECT },
    body: JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [span] }] }] }),
  });
  expect(exported.status).toBe(200);
});

test.afterAll(async () => {
  if (plume && plume.exitCode === null) {
    plume.kill("SIGTERM");
    await new Promise((resolve) => plume.once("exit", resolve));
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const spanPath = () => `/projects/${PROJECT}/spans/${spanId}`;

/** Logs in through the login page, starting from `path` (the redirect brings the user back). */
async function logIn(page: Page, email: string, path: string) {
  await page.goto(`${plumeUrl}${path}`);
  await expect(page).toHaveURL(/\/login\?next=/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Log in to Plume");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(`${plumeUrl}${path}`);
  await expect(page.locator(".user-menu")).toContainText(email);
}

/** A fresh browser context (own cookies) with a page. */
async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

/** Saves a `correctness` annotation with `label` through the span page's form. */
async function annotate(page: Page, label: string) {
  const form = page.locator("form.annotation-form");
  await form.getByLabel("Name").fill("correctness");
  await form.getByLabel("Label").fill(label);
  await form.getByRole("button", { name: "Save annotation" }).click();
}

test("two reviewers log in, annotate the same span and each sees who wrote what", async ({ browser }) => {
  const ann = await freshPage(browser);
  await logIn(ann, ANN, spanPath());
  await annotate(ann, "correct");
  const mine = ann.locator('.annotation[data-annotation="correctness"]');
  await expect(mine).toContainText(`by ${ANN}`);

  // The session cookie: HttpOnly, SameSite=Lax, not readable by scripts.
  const cookies = await ann.context().cookies();
  const session = cookies.find((c) => c.name === "plume_session")!;
  expect(session.httpOnly).toBe(true);
  expect(session.sameSite).toBe("Lax");
  expect(await ann.evaluate(() => document.cookie)).not.toContain("plume_session");

  const bob = await freshPage(browser);
  await logIn(bob, BOB, spanPath());
  await annotate(bob, "incorrect");
  const both = bob.locator('.annotation[data-annotation="correctness"]');
  await expect(both).toHaveCount(2);
  await expect(bob.locator(".annotations")).toContainText(`by ${ANN}`);
  await expect(bob.locator(".annotations")).toContainText(`by ${BOB}`);
  // Bob may change his own but not Ann's.
  await expect(both.filter({ hasText: `by ${BOB}` }).getByRole("button", { name: "Delete" })).toHaveCount(1);
  await expect(both.filter({ hasText: `by ${ANN}` }).getByRole("button", { name: "Delete" })).toHaveCount(0);

  // "Mine" shows Bob's alone.
  await bob.getByRole("link", { name: "Mine" }).click();
  await expect(bob.locator('.annotation[data-annotation="correctness"]')).toHaveCount(1);
  await expect(bob.locator(".annotations")).toContainText(`by ${BOB}`);

  // Both are stored, each with its author.
  const listed = await api("GET", `/v1/projects/${PROJECT}/span_annotations?span_ids=${spanId}`);
  const rows = (await listed.json()).data as { name: string; author: string; result: { label: string } }[];
  const labels = rows.filter((r) => r.name === "correctness").map((r) => `${r.author}:${r.result.label}`);
  expect(labels.sort()).toEqual([`${ANN}:correct`, `${BOB}:incorrect`]);

  // Logging out ends the session: the next page asks for a login again.
  await ann.getByRole("button", { name: "Log out" }).click();
  await expect(ann).toHaveURL(/\/login$/);
  await ann.goto(`${plumeUrl}${spanPath()}`);
  await expect(ann).toHaveURL(/\/login\?next=/);
});

test("a viewer reads but gets no form, and a forged form post is refused", async ({ browser }) => {
  const vic = await freshPage(browser);
  await logIn(vic, VIC, spanPath());
  await expect(vic.locator(".user-menu")).toContainText("VIEWER");
  await expect(vic.getByText("It arrives tomorrow.").first()).toBeVisible();
  await expect(vic.locator("form.annotation-form")).toHaveCount(0);
  await expect(vic.locator('form[action="/api/save_annotation"]')).toHaveCount(0);
  // The same post a form would make, from Plume's own page, with the viewer's session.
  const forged = await vic.request.post(`${plumeUrl}/api/save_annotation`, {
    headers: { origin: plumeUrl },
    form: { span_id: spanId, name: "correctness", label: "forged" },
  });
  expect(forged.status()).toBe(403);
  const listed = await api("GET", `/v1/projects/${PROJECT}/span_annotations?span_ids=${spanId}`);
  const labels = ((await listed.json()).data as { result: { label: string } }[]).map((r) => r.result.label);
  expect(labels).not.toContain("forged");
});

test("logged out, a public share link and the feedback widget still work", async ({ browser }) => {
  const link = await api("POST", "/v1/public_links", { trace_id: traceId });
  expect(link.status).toBe(200);
  const shareUrl = (await link.json()).data.url as string;
  const minted = await api("POST", "/v1/feedback_tokens", { span_id: spanId, user_id: "end-user" });
  expect(minted.status).toBe(200);
  const token = (await minted.json()).data.token as string;

  const stranger = await freshPage(browser);
  const shared = await stranger.goto(shareUrl);
  expect(shared?.status()).toBe(200);
  await expect(stranger.getByText("It arrives tomorrow.").first()).toBeVisible();
  await expect(stranger.locator(".user-menu")).toHaveCount(0);

  const embed = await stranger.goto(`${plumeUrl}/embed/feedback?token=${encodeURIComponent(token)}`);
  expect(embed?.status()).toBe(200);
  const vote = stranger.waitForResponse((r) => r.url().includes("/feedback") && r.request().method() === "POST");
  await stranger.locator("button").first().click();
  // Hydrated, the widget calls /v1/feedback (200); before that its form posts
  // to /embed/feedback/vote (303 back to the page). Either stores the vote.
  expect((await vote).status()).toBeLessThan(400);
  const listed = await api("GET", `/v1/projects/${PROJECT}/span_annotations?span_ids=${spanId}`);
  const feedback = ((await listed.json()).data as { name: string; identifier: string }[]).filter(
    (r) => r.name === "user feedback" && r.identifier === "user:end-user",
  );
  expect(feedback).toHaveLength(1);
});
