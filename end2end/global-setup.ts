import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FullConfig } from "@playwright/test";
import { seedUi } from "./seed-ui";

/** The repository root (this file lives in `end2end/`). */
const ROOT = path.resolve(__dirname, "..");

/** Starts `plume serve` on free ports, seeds it, and returns the teardown. */
export default async function globalSetup(_config: FullConfig) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "plume-e2e-"));
  const logPath = path.join(dataDir, "server.log");
  const { process: server, url: base } = await startPlume(dataDir, [], { RUST_LOG: process.env.RUST_LOG ?? "info,sqlx=warn" });
  process.env.PLUME_URL = base;
  process.env.PLUME_SERVER_LOG = logPath;

  await seed(base, "e2e-shop", [
    [span("chat"), span("retrieve")], // one trace with two spans
    [span("chat")],
  ]);
  await seed(base, "e2e-other", [[span("chat")]]);
  await seedUi(base);

  return async () => {
    if (server.exitCode === null) {
      server.kill("SIGTERM");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.kill("SIGKILL");
          resolve();
        }, 10_000);
        server.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (process.env.PLUME_KEEP_DATA) {
      console.log(`plume e2e data and server log kept in ${dataDir}`);
    } else {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
}

/** The `plume` binary the browser tests run. */
export const PLUME_BIN = process.env.PLUME_BIN ?? path.join(ROOT, "target/debug/plume");

/**
 * `--database-url` of a new database when the suite runs on PostgreSQL
 * (`end2end/with-postgres.sh end2end/run.sh`), else nothing: each server gets
 * a database of its own, as each gets a data directory of its own.
 */
function databaseArgs(): string[] {
  const bin = process.env.PLUME_TEST_POSTGRES_BIN;
  if (!bin) return [];
  const name = `e2e_${randomBytes(6).toString("hex")}`;
  execFileSync(path.join(bin, "createdb"), [name]);
  return ["--database-url", `postgres://${process.env.PGUSER}@${process.env.PGHOST}:${process.env.PGPORT}/${name}`];
}

/** A `plume serve` started by [`startPlume`]. */
export type Started = { process: ChildProcess; url: string };

/**
 * Starts `plume serve` on free ports with `dataDir` (its log goes to
 * `dataDir/server.log`), extra `args` and `env`, and resolves with its base
 * URL once it has written its `--ready-file`.
 */
export async function startPlume(dataDir: string, args: string[] = [], env: Record<string, string> = {}): Promise<Started> {
  if (!existsSync(PLUME_BIN)) {
    throw new Error(`${PLUME_BIN} is missing: run \`cargo build -p server\` (end2end/run.sh does).`);
  }
  const readyFile = path.join(dataDir, "ready.json");
  const logPath = path.join(dataDir, "server.log");
  const server = spawn(
    PLUME_BIN,
    ["serve", "--port", "0", "--grpc-port", "0", "--data-dir", dataDir, "--ready-file", readyFile, ...databaseArgs(), ...args],
    { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", RUST_LOG: "info,sqlx=warn", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const log = createWriteStream(logPath);
  server.stdout!.pipe(log, { end: false });
  server.stderr!.pipe(log, { end: false });
  const deadline = Date.now() + 60_000;
  while (!existsSync(readyFile)) {
    if (server.exitCode !== null || server.signalCode !== null || Date.now() > deadline) {
      server.kill("SIGKILL");
      let tail = "";
      try {
        tail = readFileSync(logPath, "utf8").split("\n").slice(-30).join("\n");
      } catch {}
      throw new Error(`plume did not get ready (exit ${server.exitCode})\n--- server log (${logPath}) ---\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = JSON.parse(readFileSync(readyFile, "utf8")).http as string;
  return { process: server, url };
}

type Span = Record<string, unknown>;

function hex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

/** An OTLP/JSON LLM span without trace id (set by `seed`). */
function span(name: string): Span {
  return {
    spanId: hex(8),
    name,
    kind: 1,
    startTimeUnixNano: "1700000000000000000",
    endTimeUnixNano: "1700000001000000000",
    attributes: [
      { key: "openinference.span.kind", value: { stringValue: "LLM" } },
      { key: "input.value", value: { stringValue: "hi" } },
    ],
    status: { code: 1 },
  };
}

/** Exports `traces` (each a list of spans sharing one trace id) into `project`. */
async function seed(base: string, project: string, traces: Span[][]) {
  const spans = traces.flatMap((trace) => {
    const traceId = hex(16);
    return trace.map((s) => ({ ...s, traceId }));
  });
  const body = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] };
  const response = await fetch(`${base}/v1/traces`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "x-project-name": project },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(`seeding ${project}: POST /v1/traces → ${response.status} ${await response.text()}`);
  }
}

