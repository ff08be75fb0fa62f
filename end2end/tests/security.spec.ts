import { test, expect } from "./fixtures";
import { hydrated, spanAnnotations } from "./helpers";
import { UI } from "../seed-ui";

const spanPath = `/projects/${UI.project}/spans/${UI.weatherRoot}`;

/** The notes on the weather span, from the REST API. */
async function notes(request: Parameters<typeof spanAnnotations>[0]): Promise<string[]> {
  const annotations = await spanAnnotations(request, UI.project, UI.weatherRoot);
  return annotations.filter((a) => a.name === "note").map((a) => a.result.explanation ?? "");
}

test("every page hydrates under its Content-Security-Policy without a violation", async ({ page, consoleErrors }) => {
  await page.addInitScript(() => {
    const seen: string[] = ((window as unknown as { __cspViolations: string[] }).__cspViolations = []);
    document.addEventListener("securitypolicyviolation", (event) => {
      seen.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  const paths = ["/", `/projects/${UI.project}`, `/projects/${UI.project}/traces/${UI.refundTrace}`, spanPath, "/collections"];
  for (const path of paths) {
    const response = await page.goto(path);
    const policy = response?.headers()["content-security-policy"] ?? "";
    expect(policy, path).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]{22,}' 'wasm-unsafe-eval'/);
    expect(policy, path).toContain("frame-ancestors 'none'");
    await hydrated(page);
    const violations = await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
    expect(violations, path).toEqual([]);
  }
  expect(consoleErrors).toEqual([]);
});

test("a form on another site cannot post to Plume's server functions", async ({ page, baseURL, request }) => {
  await page.goto(spanPath);
  const action = await page.locator("form.note-form").getAttribute("action");
  expect(action).toMatch(/^\/api\/add_note/);
  // Another site (localhost is not 127.0.0.1's site) whose page posts Plume's note form at once.
  const evil = `${baseURL!.replace("127.0.0.1", "localhost")}/evil-page`;
  await page.route(evil, (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<form method="post" action="${baseURL}${action}">
               <input name="span_id" value="${UI.weatherRoot}"><input name="note" value="forged">
             </form><script>document.forms[0].submit()</script>`,
    }),
  );
  const posted = page.waitForResponse((response) => response.url().includes("/api/add_note"));
  await page.goto(evil);
  const response = await posted;
  expect(response.status()).toBe(403);
  expect(await response.text()).toContain("Cross-site request refused");
  expect(await notes(request)).not.toContain("forged");
});

test.describe("with JavaScript disabled", () => {
  test.use({ javaScriptEnabled: false });

  test("Plume's own form posts as the same origin and works", async ({ page, baseURL, request }) => {
    await page.goto(spanPath);
    const form = page.locator("form.note-form");
    await form.locator("textarea[name=note]").fill("posted from the page itself");
    const [posted] = await Promise.all([
      page.waitForRequest((r) => r.method() === "POST" && r.url().includes("/api/add_note")),
      form.getByRole("button", { name: "Add note" }).click(),
    ]);
    expect(await posted.headerValue("origin")).toBe(baseURL);
    // Redirected back to the span page, which lists the note; the API has it too.
    await expect(page).toHaveURL(new RegExp(`/spans/${UI.weatherRoot}\\??$`));
    await expect(page.locator(".notes")).toContainText("posted from the page itself");
    expect(await notes(request)).toContain("posted from the page itself");
  });
});
