import { spawn, type ChildProcess } from "node:child_process";
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
  const bin = process.env.PLUME_BIN ?? path.join(ROOT, "target/debug/plume");
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: run \`cargo build -p server\` (end2end/run.sh does).`);
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), "plume-e2e-"));
  const logPath = path.join(dataDir, "server.log");
  const server = spawn(bin, ["serve", "--port", "0", "--grpc-port", "0", "--data-dir", dataDir], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", RUST_LOG: process.env.RUST_LOG ?? "info,sqlx=warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const base = await waitForListening(server, logPath);
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

/** Resolves with the base URL from the server's "plume listening on …" line. */
export function waitForListening(server: ChildProcess, logPath: string): Promise<string> {
  const log = createWriteStream(logPath);
  return new Promise((resolve, reject) => {
    let pending = "";
    let done = false;
    const timer = setTimeout(() => fail(new Error("plume did not log its address within 60 s")), 60_000);
    function fail(error: Error) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      server.kill("SIGKILL");
      let tail = "";
      try {
        tail = readFileSync(logPath, "utf8").split("\n").slice(-30).join("\n");
      } catch {}
      reject(new Error(`${error.message}\n--- server log (${logPath}) ---\n${tail}${pending}`));
    }
    server.stdout!.pipe(log, { end: false });
    server.stderr!.on("data", (chunk: Buffer) => {
      log.write(chunk);
      if (done) return;
      pending += chunk.toString("utf8").replace(/\x1b\[[0-9;]*m/g, "");
      const match = /plume listening on (http:\/\/[^\s]+)/.exec(pending);
      if (match) {
        done = true;
        clearTimeout(timer);
        pending = "";
        resolve(match[1]);
      }
    });
    server.once("error", (error) => fail(error));
    server.once("exit", (code, signal) => fail(new Error(`plume exited early (code ${code}, signal ${signal})`)));
  });
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

