import { defineConfig, devices } from "@playwright/test";

/**
 * Browser tests against a real `plume serve` (debug build), started by
 * `global-setup.ts` on free ports with a fresh data directory and seeded over
 * OTLP/JSON. Run them with `end2end/run.sh` (builds the server and the site first).
 *
 * Chromium comes from Debian (`/usr/bin/chromium`): `npx playwright install`
 * cannot download browsers here.
 */
export default defineConfig({
  testDir: "./tests",
  globalSetup: "./global-setup.ts",
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: process.env.PLUME_CHROMIUM ?? "/usr/bin/chromium",
          args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
          ],
        },
      },
    },
  ],
});
