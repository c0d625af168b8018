// What the dashboard server tests share: a throwaway repo with a run's .loki/, a real dashboard on a
// free port and its token (sent as X-Loki-Token, as the page does), its launch key, the proof tab's
// one-use address, raw HTTP with any Host header, and an SSE reader that parses the stream as EventSource would.
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { OrchestratorState } from "../../src/core/run-schema.ts";
import type { ControlResult, DashboardDeps } from "../../src/dashboard/deps.ts";
import { type Dashboard, type DashboardOptions, startDashboard } from "../../src/dashboard/server.ts";
import { readSnapshot } from "../../src/dashboard/snapshot.ts";
import { readStatus } from "../../src/run/status.ts";
import { git, type TmpDir, tmpdir } from "../helpers/tmp.ts";

/** Hold no data and no secret: open to anyone who names our Host. */
export const PAGE_ROUTES = ["/", "/app.js", "/style.css", "/favicon.svg"];
/** The run itself: only with the token. */
export const DATA_ROUTES = ["/api/snapshot", "/events", "/api/diff", "/api/diff/0", "/api/proof/verify", "/api/iterations/1/memories"];

export type Harness = {
  dir: TmpDir;
  root: string;
  dash: Dashboard;
  port: number;
  /** The run's token, from `url`'s `t` (the programmatic link: never printed nor opened). */
  token: string;
  /** The one-use key of `launchUrl`, the link loki prints and opens. */
  launchKey: string;
  /** Every control the server passed on, as `name arg`. */
  calls: string[];
  get: (path: string, headers?: Record<string, string>) => Promise<Response>;
  post: (path: string, body: unknown, headers?: Record<string, string>) => Promise<Response>;
  /** POST /api/session as the page does: the launch key for `{token}`. */
  launch: (key: string, headers?: Record<string, string>) => Promise<Response>;
  /** The page's "open the proof": POST /api/proof/key with the token, then GET the one-use address it names. */
  proof: () => Promise<Response>;
  [Symbol.asyncDispose]: () => Promise<void>;
};

/** A valid state/orchestrator.json for a run started at `startSha`. */
export function orchestrator(startSha: string, runId = "r-test"): OrchestratorState {
  return OrchestratorState.parse({
    schema_version: 1,
    run_id: runId,
    status: "running",
    phase: "act",
    iteration: 1,
    start_sha: startSha,
    branch: "main",
    spec: { ref: "PRD.md", sha256: "0".repeat(64), title: "fixture" },
    provider: "claude",
    chain: ["claude"],
    model: "sonnet",
    budget: { limit_usd: 10, spent_usd: 1, estimated_usd: 0, warned: false },
    retries: { consecutive: 0, total: 0 },
    stagnation: { count: 0, last_tree: null },
    caps: { max_iterations: 5, max_duration_s: null },
    elapsed_ms: 1000,
    feedback: [],
    last_verdict: null,
    active_call: null,
    outcome: null,
    updated_at: new Date().toISOString(),
  });
}

/** Real status; controls that record their calls (pause also writes .loki/PAUSE). */
export function recordingDeps(root: string, calls: string[]): DashboardDeps {
  const ok = (message: string): Promise<ControlResult> => Promise.resolve({ ok: true, message });
  return {
    status: readStatus,
    controls: {
      pause: () => {
        calls.push("pause");
        writeFileSync(join(root, ".loki", "PAUSE"), "");
        return ok("paused at the next boundary");
      },
      resume: () => (calls.push("resume"), ok("resumed")),
      stop: (mode) => (calls.push(`stop ${mode}`), ok("stopping")),
      model: (model) => {
        calls.push(`model ${model}`);
        return model === "nope" ? Promise.resolve({ ok: false, status: 422, message: "unknown model" }) : ok("switching");
      },
      budget: (limit) => (calls.push(`budget ${limit}`), ok("raised")),
      models: async () => ["sonnet", "opus"],
    },
    verifyProof: async () => null,
  };
}

export async function startHarness(options: Partial<DashboardOptions> & { files?: Record<string, string> } = {}): Promise<Harness> {
  const dir = await tmpdir({ commit: true, files: { "README.md": "# fixture\n", "src/a.ts": "export const a = 1;\n", ...options.files } });
  const root = dir.path;
  const sha = git(root, ["rev-parse", "HEAD"]).trim();
  mkdirSync(join(root, ".loki", "state"), { recursive: true });
  writeFileSync(join(root, ".loki", ".gitignore"), "*\n");
  writeFileSync(join(root, ".loki", "state", "orchestrator.json"), JSON.stringify(orchestrator(sha)));
  writeFileSync(join(root, ".loki", "events.jsonl"), "");
  const calls: string[] = [];
  const dash = await startDashboard({ root, port: 0, deps: recordingDeps(root, calls), heartbeatMs: 300, ...options });
  const port = dash.port;
  const token = new URL(dash.url).searchParams.get("t") ?? "";
  const launchKey = new URL(dash.launchUrl).searchParams.get("k") ?? "";
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${dash.origin}${path}`, { headers: { "x-loki-token": token, ...headers } });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${dash.origin}${path}`, {
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: { "x-loki-token": token, origin: dash.origin, "content-type": "application/json", ...headers },
    });
  const launch = (key: string, headers: Record<string, string> = {}) =>
    fetch(`${dash.origin}/api/session`, {
      method: "POST",
      body: JSON.stringify({ key }),
      headers: { origin: dash.origin, "content-type": "application/json", ...headers },
    });
  const proof = async () => {
    const key = await post("/api/proof/key", {});
    if (!key.ok) return key;
    return fetch(`${dash.origin}${((await key.json()) as { url: string }).url}`);
  };
  return {
    dir,
    root,
    dash,
    port,
    token,
    launchKey,
    calls,
    get,
    post,
    launch,
    proof,
    [Symbol.asyncDispose]: async () => {
      await dash.stop();
      await dir[Symbol.asyncDispose]();
    },
  };
}

export function appendEvents(root: string, lines: string[]): void {
  appendFileSync(join(root, ".loki", "events.jsonl"), lines.map((line) => `${line}\n`).join(""));
}

export type RawResponse = { status: number; headers: Record<string, string>; body: string };

/** One HTTP/1.1 request written byte for byte (fetch picks its own Host), answered on a fresh connection.
 *  `head`: resolve once the headers are in (a stream's body never ends). */
export function raw(port: number, request: string, head = false): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    socket.on("data", (chunk) => {
      data += chunk.toString("utf8");
      if (head && data.includes("\r\n\r\n")) socket.destroy();
    });
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", ...rest] = data.split("\r\n\r\n");
      const [statusLine = "", ...lines] = head.split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const at = line.indexOf(":");
        headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: rest.join("\r\n\r\n") });
    });
    socket.write(request.includes("Connection:") ? request : request.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"));
  });
}

export type SseFrame = { id?: string; event: string; data: string };

/** An /events reader: frames as they arrive, `until` waits for a condition on all frames so far. */
export async function openStream(h: Harness, headers: Record<string, string> = {}, query = "") {
  const abort = new AbortController();
  const response = await fetch(`${h.dash.origin}/events${query}`, {
    headers: { "x-loki-token": h.token, ...headers },
    signal: abort.signal,
  });
  const frames: SseFrame[] = [];
  let closed = false;
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const pump = (async () => {
    try {
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const f: SseFrame = { event: "message", data: "" };
          for (const line of block.split("\n")) {
            const [key, ...value] = line.split(": ");
            if (key === "id") f.id = value.join(": ");
            else if (key === "event") f.event = value.join(": ");
            else if (key === "data") f.data = value.join(": ");
          }
          if (block.startsWith("retry:")) continue;
          frames.push(f);
        }
      }
    } catch {
      // aborted by close()
    }
    closed = true;
  })();
  const until = async (test: (frames: SseFrame[]) => boolean, timeoutMs = 5000): Promise<SseFrame[]> => {
    const deadline = Date.now() + timeoutMs;
    while (!test(frames)) {
      if (Date.now() > deadline)
        throw new Error(`stream condition not met in ${timeoutMs} ms; frames: ${JSON.stringify(frames.slice(-10))}`);
      if (closed) throw new Error(`stream closed; frames: ${JSON.stringify(frames.slice(-10))}`);
      await Bun.sleep(10);
    }
    return frames;
  };
  const events = () => frames.filter((f) => f.event === "ev");
  return {
    response,
    frames,
    events,
    until,
    isClosed: () => closed,
    close: async () => {
      abort.abort();
      await pump;
    },
  };
}

/** A dashboard whose run has finished with a proof page of `html` (as the agent may have shaped it). */
export async function startFinished(html: string): Promise<Harness> {
  const h = await startHarness({
    snapshot: async (root, deps) => ({
      ...(await readSnapshot(root, deps)),
      outcome: {
        outcome: "verified",
        exit_code: 0,
        reason: "done",
        next: "",
        finished_at: new Date().toISOString(),
        pr_url: null,
        proof: { run_id: "r-test", url: "/proof" },
      },
    }),
  });
  mkdirSync(join(h.root, ".loki", "proofs", "r-test"), { recursive: true });
  writeFileSync(join(h.root, ".loki", "proofs", "r-test", "index.html"), html);
  return h;
}

/** A spent key (from a browser's history, say) replayed on every control as a token: each must be refused. */
export async function replayControls(h: Harness, key: string): Promise<number[]> {
  const statuses: number[] = [];
  for (const [action, body] of [
    ["pause", {}],
    ["budget", { limit_usd: 1000 }],
    ["stop", { mode: "now" }],
  ] as const)
    statuses.push((await h.post(`/api/control/${action}`, body, { "x-loki-token": key })).status);
  return statuses;
}
