import { test } from "./fixtures";
import { screenshot } from "./helpers";
import { UI } from "../seed-ui";

/**
 * The README's dark-theme pictures (`make screenshots`): the main pages in
 * the dark theme, at a desktop viewport. Skipped unless PLUME_SCREENSHOTS is set.
 */
test("dark theme screenshots", async ({ page, context, baseURL }) => {
  test.skip(!process.env.PLUME_SCREENSHOTS, "only for make screenshots");
  await page.setViewportSize({ width: 1280, height: 800 });
  await context.addCookies([{ name: "plume_theme", value: "dark", url: baseURL! }]);
  const pages: [string, string][] = [
    ["/", "projects-dark.png"],
    [`/projects/${UI.project}`, "traces-dark.png"],
    [`/projects/${UI.project}/traces/${UI.refundTrace}`, "trace-dark.png"],
    [`/projects/${UI.project}/spans/${UI.refundRoot}`, "span-dark.png"],
  ];
  for (const [path, name] of pages) {
    await page.goto(path);
    await screenshot(page, name);
  }
});
