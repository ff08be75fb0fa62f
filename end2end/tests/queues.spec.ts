import { randomBytes } from "node:crypto";
import type { Browser, Page } from "@playwright/test";
import { test, expect } from "./fixtures";
import { type AccountsServer, hydrated, startWithAccounts } from "./helpers";

/**
 * Review queues (issue 14) in a real browser, on a server of its own with
 * `--auth on`: a member makes a queue in the UI and fills it from the trace
 * list's filter; two reviewers work it with the keyboard alone (labels by
 * number, Enter, skip, back); progress reaches 100 %.
 */

const PROJECT = "e2e-queues";
const PASSWORD = "a long enough password";
const ANN = "ann@example.org";
const BOB = "bob@example.org";

let server: AccountsServer;
let plumeUrl: string;
let spans: ReturnType<typeof span>[] = [];

/** A REST call with the admin's key. */
const api = (method: string, path: string, body?: unknown) => server.api(method, path, body);

/** A root span; `error` ones are what the queue's filter selects. */
function span(i: number, error: boolean) {
  return {
    traceId: randomBytes(16).toString("hex"),
    spanId: randomBytes(8).toString("hex"),
    name: `answer ${i}`,
    kind: 1,
    startTimeUnixNano: `${1700000000000000000 + i * 1000000000}`,
    endTimeUnixNano: `${1700000000500000000 + i * 1000000000}`,
    attributes: [
      { key: "openinference.span.kind", value: { stringValue: "LLM" } },
      { key: "input.value", value: { stringValue: `Question number ${i}` } },
      { key: "output.value", value: { stringValue: `Answer number ${i}` } },
    ],
    status: { code: error ? 2 : 1 },
  };
}

test.beforeAll(async () => {
  server = await startWithAccounts("queues");
  plumeUrl = server.url;
  for (const [email, role] of [
    [ANN, "ANNOTATOR"],
    [BOB, "MEMBER"],
  ]) {
    expect((await api("POST", "/v1/users", { user: { email, role, password: PASSWORD } })).status).toBe(201);
  }
  const config = await api("POST", "/v1/annotation_configs", {
    name: "correctness",
    type: "CATEGORICAL",
    optimization_direction: "MAXIMIZE",
    values: [
      { label: "correct", score: 1 },
      { label: "incorrect", score: 0 },
    ],
  });
  expect(config.status).toBe(200);
  spans = [span(1, true), span(2, false), span(3, true), span(4, true)];
  const exported = await fetch(`${plumeUrl}/v1/traces`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${server.key}`,
      "content-type": "application/json",
      "x-project-name": PROJECT,
    },
    body: JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] }),
  });
  expect(exported.status).toBe(200);
});

test.afterAll(async () => {
  if (server) await server.stop();
});

/** A fresh browser (own cookies), logged in as `email` through the login page, on `path`. */
async function loggedIn(browser: Browser, email: string, path: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${plumeUrl}${path}`);
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(`${plumeUrl}${path}`);
  return page;
}

/** The item the review page shows now. */
async function currentItem(page: Page): Promise<string> {
  return (await page.locator("[data-review]").getAttribute("data-item"))!;
}

/**
 * Presses `key` and waits until the review page shows another item (or none
 * is left). The item is read in one step in the page: a count followed by a
 * read could see the swap land in between, and the read would then wait for
 * an element that is gone.
 */
async function pressAndMoveOn(page: Page, key: string, from: string) {
  await page.keyboard.press(key);
  await expect
    .poll(() => page.evaluate(() => document.querySelector("[data-review]")?.getAttribute("data-item") ?? "none"))
    .not.toBe(from);
}

test("a queue made from a filter is worked by two reviewers with the keyboard to 100 %", async ({ browser }) => {
  test.setTimeout(90_000);
  // The member makes the queue in the UI…
  const bob = await loggedIn(browser, BOB, "/queues");
  await bob.getByText("New queue").click();
  await bob.getByLabel("Name").fill("Failed answers");
  await bob.getByLabel("Instructions (Markdown)").fill("Is the **answer** right?");
  await bob.getByLabel("correctness").check();
  await bob.getByRole("button", { name: "Create queue" }).click();
  await expect(bob).toHaveURL(/\/queues\/\d+$/);
  const queuePath = new URL(bob.url()).pathname;
  await expect(bob.locator(".instructions strong")).toHaveText("answer");

  // …and fills it with every ERROR trace of the trace list.
  await bob.goto(`${plumeUrl}/projects/${PROJECT}?status=ERROR`);
  await hydrated(bob);
  await bob.getByText("Add all matching to a review queue").click();
  await bob.locator("form.queue-add-form").getByRole("button", { name: "Add" }).click();
  await expect(bob).toHaveURL(`${plumeUrl}${queuePath}`);
  await expect(bob.locator(".page-head .queue-progress")).toContainText("0 / 3 done");

  // Ann reviews with keys alone: a label, Enter, and the next item comes.
  const ann = await loggedIn(browser, ANN, `${queuePath}/review`);
  await hydrated(ann);
  await expect(ann.getByText("Is the answer right?")).toBeVisible();
  const first = await currentItem(ann);
  await ann.keyboard.press("1");
  await expect(ann.locator('[data-review-key="1"]')).toBeChecked();
  await pressAndMoveOn(ann, "Enter", first);
  const second = await currentItem(ann);
  await expect(ann.locator("#live")).toHaveText(/Review saved/);

  // u goes back to the item she did, with her answer; Enter keeps it and goes on.
  await pressAndMoveOn(ann, "u", second);
  expect(await currentItem(ann)).toBe(first);
  await expect(ann.getByText("You reviewed this item already")).toBeVisible();
  await expect(ann.locator('[data-review-key="1"]')).toBeChecked();
  await pressAndMoveOn(ann, "Enter", first);
  expect(await currentItem(ann)).toBe(second);

  // Bob opens the queue at the same time: he gets the third item, not hers.
  await bob.goto(`${plumeUrl}${queuePath}/review`);
  await hydrated(bob);
  const third = await currentItem(bob);
  expect([first, second]).not.toContain(third);

  // s skips; with nothing else free for her, the skipped item comes back.
  await ann.keyboard.press("s");
  await expect(ann.locator("#live")).toHaveText(/Skipped/);
  expect(await currentItem(ann)).toBe(second);
  await ann.keyboard.press("2");
  await pressAndMoveOn(ann, "Enter", second);
  await expect(ann.getByText("Nothing left for you in this queue")).toBeVisible();

  await bob.keyboard.press("1");
  await pressAndMoveOn(bob, "Enter", third);
  await expect(bob.getByText("Nothing left for you in this queue")).toBeVisible();

  // ? lists the keys.
  await bob.keyboard.press("?");
  await expect(bob.getByRole("dialog", { name: "Keyboard shortcuts" })).toContainText("Pick a label");

  await bob.goto(`${plumeUrl}${queuePath}`);
  await expect(bob.locator(".page-head .queue-progress")).toContainText("3 / 3 done (100 %)");
  await expect(bob.locator('tr[data-reviewer="ann@example.org"]')).toContainText("2");
  await expect(bob.locator('tr[data-reviewer="bob@example.org"]')).toContainText("1");
  await bob.goto(`${plumeUrl}/queues`);
  await expect(bob.locator('tr[data-queue="Failed answers"]')).toContainText("100 %");

  // The labels are the reviewers' own annotations, one per item.
  const queueId = Buffer.from(`AnnotationQueue:${queuePath.split("/").pop()}`).toString("base64");
  const items = (await (await api("GET", `/v1/annotation_queues/${queueId}/items?status=done`)).json()).data as {
    span_id: string;
  }[];
  expect(items).toHaveLength(3);
  const query = items.map((item) => `span_ids=${item.span_id}`).join("&");
  const listed = await api("GET", `/v1/projects/${PROJECT}/span_annotations?${query}&limit=100`);
  const rows = (await listed.json()).data as { name: string; author: string; source: string }[];
  const authors = rows.filter((r) => r.name === "correctness" && r.source === "APP").map((r) => r.author);
  expect(authors.sort()).toEqual([ANN, ANN, BOB]);
});

test("at 360 px the queue pages fit the screen", async ({ browser }) => {
  const made = await api("POST", "/v1/annotation_queues", {
    name: "A queue with a long name to see that nothing on the page scrolls sideways at all",
    instructions: "Read `the whole answer` before judging; https://example.org/a-very-long-link-that-must-wrap-somewhere",
    annotation_config_ids: [],
  });
  expect(made.status).toBe(200);
  const queue = (await made.json()).data.id as string;
  expect((await api("POST", `/v1/annotation_queues/${queue}/items`, { span_ids: [spans[1].spanId] })).status).toBe(200);
  const rowid = Buffer.from(queue, "base64").toString().split(":")[1];
  const ann = await loggedIn(browser, ANN, "/queues");
  await ann.setViewportSize({ width: 360, height: 740 });
  for (const path of ["/queues", `/queues/${rowid}`, `/queues/${rowid}/review`]) {
    await ann.goto(`${plumeUrl}${path}`);
    const [scrollWidth, innerWidth] = await ann.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect.soft(scrollWidth, `${path} scrolls sideways`).toBeLessThanOrEqual(innerWidth);
  }
  // With no configs, Enter marks the item reviewed.
  await hydrated(ann);
  await expect(ann.getByText("Answer number 2")).toBeVisible();
  await ann.keyboard.press("Enter");
  await expect(ann.getByText("Nothing left for you in this queue")).toBeVisible();
});

/**
 * Works the whole review page with the keyboard: for each item, the label
 * `labels` gives its question number (key 1 = correct, 2 = incorrect), then
 * Enter, until nothing is left.
 */
async function reviewAll(page: Page, labels: Record<number, "1" | "2">) {
  await hydrated(page);
  while ((await page.locator("[data-review]").count()) > 0) {
    const item = await currentItem(page);
    const question = (await page.locator("[data-review]").innerText()).match(/Question number (\d+)/);
    expect(question, "the item shows its input").not.toBeNull();
    const key = labels[Number(question![1])];
    await page.keyboard.press(key);
    await expect(page.locator(`[data-review-key="${key}"]`)).toBeChecked();
    await pressAndMoveOn(page, "Enter", item);
  }
  await expect(page.getByText("Nothing left for you in this queue")).toBeVisible();
}

test("two reviewers rate every item (k = 2) and the agreement page shows their kappa and disagreement", async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const configs = (await (await api("GET", "/v1/annotation_configs")).json()).data as { id: string; name: string }[];
  const correctness = configs.find((c) => c.name === "correctness")!.id;
  const made = await api("POST", "/v1/annotation_queues", {
    name: "Both of you",
    reviewers_per_item: 2,
    annotation_config_ids: [correctness],
    project: PROJECT,
  });
  expect(made.status).toBe(200);
  const queue = (await made.json()).data.id as string;
  const added = await api("POST", `/v1/annotation_queues/${queue}/items`, { filter: { status: "ERROR" } });
  expect((await added.json()).data.added).toBe(3);
  const rowid = Buffer.from(queue, "base64").toString().split(":")[1];

  // The ERROR spans are questions 1, 3 and 4: the reviewers differ on 3 only.
  const ann = await loggedIn(browser, ANN, `/queues/${rowid}/review`);
  await reviewAll(ann, { 1: "1", 3: "1", 4: "2" });
  const bob = await loggedIn(browser, BOB, `/queues/${rowid}/review`);
  await reviewAll(bob, { 1: "1", 3: "2", 4: "2" });
  await bob.goto(`${plumeUrl}/queues/${rowid}`);
  await expect(bob.locator(".page-head .queue-progress")).toContainText("3 / 3 done (100 %)");

  // p_o = 2/3, p_e = 2/3·1/3 + 1/3·2/3 = 4/9, so κ = (2/3 − 4/9) / (1 − 4/9) = 0.4.
  await bob.goto(`${plumeUrl}/projects/${PROJECT}/agreement?name=correctness`);
  await expect(bob.locator('[data-figure="annotators"]')).toHaveText("2");
  await expect(bob.locator('[data-figure="targets"]')).toHaveText("3");
  await expect(bob.locator('[data-figure="kappa"]')).toHaveText("0.400");
  await expect(bob.getByRole("heading", { name: "Disagreements (1)" })).toBeVisible();
  await bob.getByRole("link", { name: `Span ${spans[2].spanId}` }).click();
  await expect(bob).toHaveURL(new RegExp(`/spans/${spans[2].spanId}$`));
});
