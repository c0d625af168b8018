// The dashboard server's honest paths: the page and its files (also from a bundle built as the CLI's
// is), the snapshot, the diff since the run's start commit (its checkpoints: added, changed, deleted, binary,
// odd names, a secret, the size cap), the proof check, ports and the loopback-only bind.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { isLokiError } from "../../src/core/errors.ts";
import { DIFF_CAP_BYTES } from "../../src/dashboard/diff.ts";
import { startDashboard } from "../../src/dashboard/server.ts";
import { git, tmpdir } from "../helpers/tmp.ts";
import { appendEvents, recordingDeps, startHarness } from "./harness.ts";

const TEMPLATES = resolve(import.meta.dir, "..", "..", "templates", "dashboard");
const template = (name: string) => readFileSync(join(TEMPLATES, name), "utf8");
type DiffListBody = {
  start_sha: string | null;
  files: { index: number; path: string; added: number | null; deleted: number | null; binary: boolean }[];
  error?: string;
};

describe("page", () => {
  test("serves index.html, app.js, style.css, favicon.svg as they are in templates/, with or without the token", async () => {
    await using h = await startHarness();
    const page = await fetch(`${h.dash.origin}/`);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toBe(template("index.html"));
    expect(await (await fetch(h.dash.url)).text()).toBe(template("index.html"));
    for (const [name, type] of [
      ["app.js", "text/javascript; charset=utf-8"],
      ["style.css", "text/css; charset=utf-8"],
      ["favicon.svg", "image/svg+xml"],
    ] as const) {
      const response = await h.get(`/${name}`);
      expect({ name, type: response.headers.get("content-type"), body: await response.text() }).toEqual({
        name,
        type,
        body: template(name),
      });
    }
    expect((await h.get("/index.html")).status).toBe(404);
    expect((await h.get("/../package.json")).status).toBe(404);
  });

  test("the snapshot is the run read from .loki/, its offset the bytes of events.jsonl", async () => {
    await using h = await startHarness();
    appendEvents(h.root, [JSON.stringify({ ts: new Date().toISOString(), run_id: "r-test", iteration: 1, kind: "iteration_started" })]);
    const body = (await (await h.get("/api/snapshot")).json()) as {
      schema_version: number;
      offset: number;
      run: { run_id: string } | null;
    };
    expect(body.schema_version).toBe(1);
    expect(body.offset).toBe(readFileSync(join(h.root, ".loki", "events.jsonl")).length);
    expect(body.run?.run_id).toBe("r-test");
  });

  test("the proof check comes from deps; no proof is 404", async () => {
    await using none = await startHarness();
    expect((await none.get("/api/proof/verify")).status).toBe(404);
    expect((await none.post("/api/proof/key", {})).status).toBe(200);
    expect((await none.proof()).status).toBe(404);
    rmSync(join(none.root, ".loki", "state", "orchestrator.json"));
    expect((await none.post("/api/proof/key", {})).status).toBe(404);
    const check = { status: "clean", checks: [{ name: "signature", ok: true, detail: "ok" }] };
    const seen: string[] = [];
    await using h = await startHarness({
      deps: { ...recordingDeps("/nowhere", []), verifyProof: async (_root, runId) => (seen.push(runId), check) },
    });
    expect(await (await h.get("/api/proof/verify")).json()).toEqual(check);
    expect(seen).toEqual(["r-test"]);
  });
});

describe("diff since the run's start commit", () => {
  test("lists the checkpoints' added, changed, deleted and binary files by index, each with its own diff; the working tree is never read", async () => {
    await using h = await startHarness({ files: { "gone.txt": "bye\n", "a b*.ts": "x\n", "a bc.ts": "c\n", "keep.ts": "k\n" } });
    const stagedBefore = git(h.root, ["diff", "--cached", "--name-only"]);
    h.dir.write("src/a.ts", "export const a = 2;\nexport const b = 3;\n");
    h.dir.write("a b*.ts", "y\n");
    h.dir.write("a bc.ts", "d\n");
    h.dir.write("new file ü.ts", "fresh\n");
    writeFileSync(join(h.root, "logo.bin"), Buffer.from([0, 1, 2, 0, 255]));
    rmSync(join(h.root, "gone.txt"));
    git(h.root, ["add", "-A"]);
    git(h.root, ["commit", "-qm", "checkpoint 1"]);
    // Work of an iteration in progress shows at its checkpoint, not before.
    h.dir.write("wip.ts", "not yet\n");
    h.dir.write("keep.ts", "changed, uncommitted\n");
    const list = (await (await h.get("/api/diff")).json()) as DiffListBody;
    expect(list.start_sha).toBe(git(h.root, ["rev-parse", "HEAD~1"]).trim());
    const byPath = Object.fromEntries(list.files.map((f) => [f.path, f]));
    expect(Object.keys(byPath).sort()).toEqual(["a b*.ts", "a bc.ts", "gone.txt", "logo.bin", "new file ü.ts", "src/a.ts"]);
    expect(byPath["src/a.ts"]).toMatchObject({ added: 2, deleted: 1, binary: false });
    expect(byPath["gone.txt"]).toMatchObject({ added: 0, deleted: 1 });
    expect(byPath["logo.bin"]).toMatchObject({ added: null, deleted: null, binary: true });
    expect(list.files.map((f) => f.index)).toEqual(list.files.map((_, i) => i));
    for (const f of list.files) {
      const one = (await (await h.get(`/api/diff/${f.index}`)).json()) as { path: string; text: string; truncated: boolean };
      expect(one.path).toBe(f.path);
      expect(one.truncated).toBe(false);
      // A literal pathspec: "a b*.ts" shows only itself, never another file the glob would match.
      expect(one.text.match(/^diff --git /gm)).toHaveLength(1);
    }
    const fresh = byPath["new file ü.ts"];
    expect(((await (await h.get(`/api/diff/${fresh?.index}`)).json()) as { text: string }).text).toContain("+fresh");
    expect(git(h.root, ["diff", "--cached", "--name-only"])).toBe(stagedBefore);
    expect(git(h.root, ["status", "--porcelain"])).toContain("?? wip.ts");
  });

  test("a filter driver the agent defines never runs for the diff panel (git add of the working tree would run it)", async () => {
    await using h = await startHarness();
    const marker = join(h.root, "..", `dash-filter-${Date.now()}`);
    const script = join(h.root, "..", `dash-filter-${Date.now()}.sh`);
    writeFileSync(script, `#!/bin/sh\necho ran >> ${JSON.stringify(marker)}\ncat\n`, { mode: 0o755 });
    h.dir.write(".gitattributes", "* filter=evil\n");
    git(h.root, ["config", "filter.evil.clean", script]);
    git(h.root, ["config", "filter.evil.smudge", script]);
    h.dir.write("src/a.ts", "export const a = 3;\n");
    const list = (await (await h.get("/api/diff")).json()) as DiffListBody;
    await h.get("/api/diff/0");
    expect(list.error).toBeUndefined();
    expect(existsSync(marker)).toBe(false);
    // The attack is real: plain git add of the working tree runs it.
    git(h.root, ["add", "-A"]);
    expect(existsSync(marker)).toBe(true);
  });

  test("a secret the agent wrote is shown redacted, in the diff and in its path", async () => {
    await using h = await startHarness();
    const token = `ghp_${"a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"}`;
    h.dir.write("config.ts", `export const key = "${token}";\n`);
    git(h.root, ["add", "-A"]);
    git(h.root, ["commit", "-qm", "checkpoint"]);
    const list = await (await h.get("/api/diff")).text();
    const one = await (await h.get("/api/diff/0")).text();
    expect(one).toContain("[REDACTED:github-token]");
    expect(list + one).not.toContain(token);
  });

  test("a diff over 256 KB is cut at a line end and marked truncated", async () => {
    await using h = await startHarness();
    h.dir.write("big.txt", Array.from({ length: 20_000 }, (_, i) => `line ${i} ${"x".repeat(20)}`).join("\n"));
    git(h.root, ["add", "-A"]);
    git(h.root, ["commit", "-qm", "checkpoint"]);
    const one = (await (await h.get("/api/diff/0")).json()) as { text: string; truncated: boolean };
    expect(one.truncated).toBe(true);
    expect(Buffer.byteLength(one.text)).toBeLessThanOrEqual(DIFF_CAP_BYTES);
    expect(one.text.endsWith("\n")).toBe(true);
    expect(one.text).toContain("+line 0 ");
  });

  test("without a run there is no start commit and no file to show", async () => {
    await using h = await startHarness();
    rmSync(join(h.root, ".loki", "state", "orchestrator.json"));
    h.dir.write("x.ts", "1\n");
    expect(await (await h.get("/api/diff")).json()).toEqual({ start_sha: null, files: [] });
    expect((await h.get("/api/diff/0")).status).toBe(404);
  });
});

describe("ports", () => {
  test("binds 127.0.0.1 only, and a taken port moves on to the next free one", async () => {
    await using dir = await tmpdir({ commit: true });
    const deps = recordingDeps(dir.path, []);
    const taken = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("other") });
    const port = taken.port ?? 0;
    const dash = await startDashboard({ root: dir.path, port, deps });
    try {
      expect(dash.port).toBeGreaterThan(port);
      expect(dash.port).toBeLessThanOrEqual(port + 20);
      expect(dash.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${dash.port}/\\?t=[\\w-]{43}$`));
      expect(dash.launchUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${dash.port}/\\?k=[\\w-]{43}$`));
      const hex = dash.port.toString(16).toUpperCase().padStart(4, "0");
      const listening = (file: string) =>
        readFileSync(file, "utf8")
          .split("\n")
          .map((l) => l.trim().split(/\s+/))
          .filter((cols) => cols[1]?.endsWith(`:${hex}`) && cols[3] === "0A")
          .map((cols) => cols[1]);
      expect(listening("/proc/net/tcp")).toEqual([`0100007F:${hex}`]);
      expect(listening("/proc/net/tcp6")).toEqual([]);
    } finally {
      await dash.stop();
      taken.stop(true);
    }
  });

  test("when the port and the next 20 are taken, a usage error names --port", async () => {
    await using dir = await tmpdir({ commit: true });
    const servers: ReturnType<typeof Bun.serve>[] = [];
    let base = 0;
    for (let attempt = 0; attempt < 20 && servers.length < 21; attempt++) {
      for (const s of servers.splice(0)) s.stop(true);
      base = 20_000 + Math.floor(Math.random() * 30_000);
      try {
        for (let p = base; p <= base + 20; p++) servers.push(Bun.serve({ hostname: "127.0.0.1", port: p, fetch: () => new Response("x") }));
      } catch {}
    }
    expect(servers).toHaveLength(21);
    try {
      const error = await startDashboard({ root: dir.path, port: base, deps: recordingDeps(dir.path, []) }).catch((e: unknown) => e);
      expect(isLokiError(error) && error.kind).toBe("usage");
      expect(isLokiError(error) && error.hint).toContain("--port");
    } finally {
      for (const s of servers) s.stop(true);
    }
  });
});

describe("bundled", () => {
  test("the page files survive a bundle built as the CLI's is (Bun.build, cjs, bytecode)", async () => {
    await using dir = await tmpdir();
    const entry = dir.write(
      "entry.ts",
      `import { startDashboard } from ${JSON.stringify(resolve(import.meta.dir, "../../src/dashboard/server.ts"))};
void startDashboard({ root: process.argv[2] ?? "", port: 0, deps: { status: async () => { throw new Error("x"); }, controls: {} as never, verifyProof: async () => null } })
  .then((d) => console.log(d.launchUrl));
setInterval(() => {}, 1000);\n`,
    );
    const built = await Bun.build({ entrypoints: [entry], outdir: join(dir.path, "out"), target: "bun", format: "cjs", bytecode: true });
    expect(built.logs.map(String)).toEqual([]);
    expect(built.success).toBe(true);
    const child = Bun.spawn([process.execPath, join(dir.path, "out", "entry.js"), dir.path], {
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    });
    try {
      const reader = child.stdout.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      const url = first.trim();
      const { origin, searchParams } = new URL(url);
      const launch = {
        method: "POST",
        headers: { origin, "content-type": "application/json" },
        body: JSON.stringify({ key: searchParams.get("k") }),
      };
      const { token } = (await (await fetch(`${origin}/api/session`, launch)).json()) as { token: string };
      expect((await fetch(`${origin}/api/session`, launch)).status).toBe(401);
      for (const name of ["index.html", "app.js", "style.css", "favicon.svg"])
        expect(await (await fetch(`${origin}/${name === "index.html" ? "" : name}`)).text()).toBe(template(name));
      expect((await fetch(`${origin}/api/diff`)).status).toBe(401);
      expect((await fetch(`${origin}/api/diff`, { headers: { "x-loki-token": token } })).status).toBe(200);
    } finally {
      child.kill();
      await child.exited;
    }
  });
});
