// `bun bench/dashboard.ts`: the dashboard's targets in Debian's Chromium — p95 append→DOM, a 5,000-event
// run's first render, page weight, the server's idle CPU — each beside a floor measured in the same run
// (a bare SSE push, a bare page parsing the same snapshot, gzip of the same bytes, a bare SSE server).
import { appendFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { LokiEvent } from "../src/core/run-schema.ts";
import { readJsonl } from "../src/core/workspace.ts";
import { benchRepo } from "./loop.ts";
import { type Measured, median } from "./measure.ts";

const ROOT = resolve(import.meta.dir, "..");
const WORK = join(tmpdir(), "loki-bench-dashboard");
const EVENTS = 5_000;
const APPENDS = 60;
const CPU_WINDOW_MS = 10_000;
/** Appended to both servers: a line on stdin gets the process's CPU time so far, in ms, on stdout
 *  (getrusage: every thread, those that have ended too, to the microsecond). */
const CPU_ON_ASK = `process.stdin.on("data", () => { const u = process.cpuUsage(); process.stdout.write((u.user + u.system) / 1000 + "\\n"); });`;

/** The dashboard server alone in a process (it reports its own CPU, CPU_ON_ASK): prints its URL, then idles. The
 *  programmatic `url` (`?t=`), not the one-use `launchUrl`: the render runs open many fresh tabs. */
const SERVER = `import { startDashboard } from ${JSON.stringify(join(ROOT, "src/dashboard/server.ts"))};
import { dashboardDeps } from ${JSON.stringify(join(ROOT, "src/commands/dashboard.ts"))};
const root = process.argv[2];
const d = await startDashboard({ root, port: 0, deps: dashboardDeps(root) });
console.log(d.url);
${CPU_ON_ASK}`;

/** The idle-CPU floor: a bare Bun.serve holding one SSE stream with the same 5 s heartbeat, no files watched. */
const IDLE_FLOOR = `const s = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch(req) {
  if (new URL(req.url).pathname !== "/events") return new Response("<!doctype html><title>floor</title>", { headers: { "Content-Type": "text/html" } });
  let t; return new Response(new ReadableStream({ start(c) { t = setInterval(() => c.enqueue(new TextEncoder().encode("event: hb\\ndata: {}\\n\\n")), 5000); }, cancel() { clearInterval(t); } }), { headers: { "Content-Type": "text/event-stream" } });
} }); console.log("http://127.0.0.1:" + s.port + "/");
${CPU_ON_ASK}`;

/** A finished 3-iteration run of a zero-latency fake agent, then padded to 5,000 events. */
function fixture(): { repo: string; runId: string } {
  const { repo, bin } = benchRepo(WORK, {
    stepFile: "step.js",
    config: "allow_root: true\nstagnation_limit: 100\nmax_iterations: 3\ncouncil: false\n",
  });
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    ANTHROPIC_API_KEY: "bench",
    CI: "true",
    NO_COLOR: "1",
    LOKI_NO_AUTO_OPEN: "1",
  };
  const run = Bun.spawnSync([process.execPath, join(ROOT, "src", "cli.ts"), "start", "prd.md"], {
    cwd: repo,
    env,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  const events = join(repo, ".loki", "events.jsonl");
  const existing = readJsonl(events, LokiEvent);
  const runId = existing[0]?.run_id;
  if (!runId) throw new Error(`bench run left no events (exit ${run.exitCode}): ${run.stderr.toString().slice(-500)}`);
  const lines: string[] = [];
  for (let i = existing.length; i < EVENTS; i++) {
    const base = { ts: new Date(Date.now() - (EVENTS - i) * 1000).toISOString(), run_id: runId, iteration: 1 + (i % 3) };
    const ev =
      i % 2
        ? { ...base, kind: "gate_result", gate: "tests", status: "pass", reason: `pass ${i}` }
        : { ...base, kind: "warning", message: `filler ${i}` };
    lines.push(JSON.stringify(ev));
  }
  // Before the run's own events would be truer to time, but the server reads the file as it is.
  appendFileSync(events, `${lines.join("\n")}\n`);
  return { repo, runId };
}

const chromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"];
const launch = () =>
  chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [...chromiumArgs, "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--proxy-server=http://127.0.0.1:9"],
  });
const now = () => performance.timeOrigin + performance.now();
const p95 = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * 0.95))] ?? Number.NaN;

/** In the page: the wall time (same clock expression as ours) at which each `bench-<n>` row entered the DOM. */
const OBSERVE = `window.__seen = {}; new MutationObserver((records) => { const t = performance.timeOrigin + performance.now();
  for (const r of records) for (const n of r.addedNodes) { const m = /bench-(\\d+)/.exec(n.textContent || ""); if (m && !(m[1] in window.__seen)) window.__seen[m[1]] = t; } })
  .observe(document.getElementById("feed"), { childList: true, subtree: true });`;

async function appendLatencies(page: Page, append: (i: number) => void): Promise<number[]> {
  await page.evaluate(OBSERVE);
  const sent: number[] = [];
  for (let i = 0; i < APPENDS; i++) {
    sent.push(now());
    append(i);
    await Bun.sleep(40 + (i % 5) * 15);
  }
  // A function, not a string: the dashboard's CSP forbids eval.
  await page.waitForFunction((n) => Object.keys((globalThis as unknown as { __seen: object }).__seen).length >= n, APPENDS, {
    timeout: 10_000,
  });
  const seen = (await page.evaluate("window.__seen")) as Record<string, number>;
  return sent.map((t, i) => (seen[String(i)] ?? Number.NaN) - t).slice(5);
}

/** The floor page: an EventSource appending a row per message, and a bare fetch + parse of the snapshot. */
function floorServer(snapshot: string) {
  const clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const enc = new TextEncoder();
  const html = `<!doctype html><div id="feed"></div><script>
    if (location.pathname === "/sse") { const es = new EventSource("/events"); es.addEventListener("ev", (m) => { const d = document.createElement("div"); d.textContent = JSON.parse(m.data).message; document.getElementById("feed").append(d); }); es.onopen = () => document.body.dataset.ready = "1"; }
    else fetch("/snap").then((r) => r.json()).then((s) => { document.getElementById("feed").textContent = s.offset; document.body.dataset.ready = "1"; });
  </script>`;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/snap") return new Response(snapshot, { headers: { "Content-Type": "application/json" } });
      if (path !== "/events") return new Response(html, { headers: { "Content-Type": "text/html" } });
      let self: ReadableStreamDefaultController<Uint8Array>;
      const stream = new ReadableStream<Uint8Array>({
        start: (c) => {
          self = c;
          clients.add(c);
          c.enqueue(enc.encode("retry: 1000\n\n"));
        },
        cancel: () => void clients.delete(self),
      });
      return new Response(stream, { headers: { "Content-Type": "text/event-stream" } });
    },
  });
  const push = (line: string) => {
    for (const c of clients) c.enqueue(enc.encode(`event: ev\ndata: ${line}\n\n`));
  };
  return { origin: `http://127.0.0.1:${server.port}`, push, stop: () => server.stop(true) };
}

type Server = { url: string; kill: () => void; cpuMs: () => Promise<number> };

async function spawnServer(source: string, repo: string): Promise<Server> {
  const script = join(WORK, `server-${Bun.hash(source)}.ts`);
  writeFileSync(script, source);
  const child = Bun.spawn([process.execPath, script, repo], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let out = "";
  const line = async (): Promise<string> => {
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the dashboard bench's server exited");
      out += decoder.decode(value);
    }
    const end = out.indexOf("\n");
    const first = out.slice(0, end);
    out = out.slice(end + 1);
    return first;
  };
  const url = (await line()).trim();
  const cpuMs = async () => {
    child.stdin.write("\n");
    child.stdin.flush();
    return Number(await line());
  };
  return { url, kill: () => child.kill(), cpuMs };
}

export type DashboardBench = { latency: Measured; render: Measured; weight: Measured; idleCpu: Measured };

export async function benchDashboard(): Promise<DashboardBench> {
  const { repo, runId } = fixture();
  const server = await spawnServer(SERVER, repo);
  const idle = await spawnServer(IDLE_FLOOR, repo);
  const browser: Browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const origin = new URL(server.url).origin;
    await page.goto(server.url);
    await page.waitForSelector("body[data-ready]", { state: "attached" });

    // Page weight: what the browser fetches for the page, against gzip -9 of the same bytes.
    let bytes = 0;
    let gz = 0;
    for (const path of ["/", "/app.js", "/style.css", "/favicon.svg"]) {
      const body = await (await context.request.get(origin + path)).body();
      bytes += body.length;
      gz += Bun.gzipSync(new Uint8Array(body), { level: 9 }).length;
    }
    const token = new URL(server.url).searchParams.get("t") ?? "";
    const snapshot = await (await context.request.get(`${origin}/api/snapshot`, { headers: { "X-Loki-Token": token } })).text();

    // Idle CPU of the server with this one tab on /events, against a bare SSE server with one stream; same window.
    const idleTab = await context.newPage();
    await idleTab.goto(idle.url);
    await idleTab.evaluate(`new EventSource("/events")`);
    await Bun.sleep(3000);
    const [s0, f0] = [await server.cpuMs(), await idle.cpuMs()];
    await Bun.sleep(CPU_WINDOW_MS);
    const idleCpu = { median: (await server.cpuMs()) - s0, floor: (await idle.cpuMs()) - f0, runs: 1 };
    await idleTab.close();

    const events = join(repo, ".loki", "events.jsonl");
    const line = (i: number) =>
      JSON.stringify({ ts: new Date().toISOString(), run_id: runId, iteration: 3, kind: "warning", message: `bench-${i}` });
    const real = await appendLatencies(page, (i) => appendFileSync(events, `${line(i)}\n`));

    const floor = floorServer(snapshot);
    const bare = await context.newPage();
    await bare.goto(`${floor.origin}/sse`);
    await bare.waitForSelector("body[data-ready]", { state: "attached" });
    const pushed = await appendLatencies(bare, (i) => floor.push(line(i)));

    // First render of the 5,000-event run (fresh tab: navigation → every panel drawn), against a bare
    // page that fetches and parses the same snapshot bytes.
    const renders: number[] = [];
    const floors: number[] = [];
    for (let i = 0; i < 6; i++) {
      for (const [url, into] of [
        [`${floor.origin}/`, floors],
        [server.url, renders],
      ] as const) {
        const tab = await context.newPage();
        const started = now();
        await tab.goto(url);
        await tab.waitForSelector("body[data-ready]", { state: "attached" });
        if (i > 0) into.push(now() - started);
        await tab.close();
      }
    }
    floor.stop();
    return {
      latency: { median: p95(real), floor: p95(pushed), runs: real.length },
      render: { median: median(renders), floor: median(floors), runs: renders.length },
      weight: { median: bytes, floor: gz, runs: 1 },
      idleCpu,
    };
  } finally {
    await browser.close();
    server.kill();
    idle.kill();
  }
}

if (import.meta.main) {
  const r = await benchDashboard();
  const row = (name: string, m: Measured, unit: string) =>
    console.log(
      `${name}: ${m.median.toFixed(1)} ${unit}, floor ${m.floor.toFixed(1)} ${unit}, ${(m.median / m.floor).toFixed(1)}× (${m.runs} runs)`,
    );
  row("append→DOM p95", r.latency, "ms");
  row(`${EVENTS}-event run, first render`, r.render, "ms");
  row("page weight", r.weight, "bytes");
  row(`server CPU over ${CPU_WINDOW_MS / 1000} s idle, one tab`, r.idleCpu, "ms");
}
