import { test as base, expect } from "@playwright/test";

/** Requests whose failure is not a page problem (there is no favicon yet). */
const IGNORED_PATHS = new Set(["/favicon.ico"]);

/**
 * `baseURL` comes from the server that `global-setup.ts` started (its port is
 * only known at run time). `consoleErrors` collects browser console errors,
 * uncaught page errors and failed (>= 400) sub-resource requests, each with
 * its URL; tests assert it stays empty.
 */
export const test = base.extend<{ consoleErrors: string[] }>({
  baseURL: async ({}, use) => {
    const url = process.env.PLUME_URL;
    if (!url) throw new Error("PLUME_URL is unset: global-setup.ts did not run");
    await use(url);
  },
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on("console", (message) => {
      // Failed loads are reported below with their URL instead.
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
        errors.push(`console.error: ${message.text()}`);
      }
    });
    page.on("pageerror", (error) => errors.push(`pageerror: ${error.stack || error.message || String(error)}`));
    page.on("response", (response) => {
      const url = new URL(response.url());
      const isDocument = response.request().resourceType() === "document";
      if (response.status() >= 400 && !isDocument && !IGNORED_PATHS.has(url.pathname)) {
        errors.push(`HTTP ${response.status()} for ${url.pathname}`);
      }
    });
    page.on("requestfailed", (request) => {
      // A navigation cancels the previous page's pending loads: not a page problem.
      if (request.failure()?.errorText === "net::ERR_ABORTED") return;
      errors.push(`request failed: ${request.url()} (${request.failure()?.errorText})`);
    });
    await use(errors);
  },
});

export { expect };
