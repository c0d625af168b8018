// `loki plan` and `loki spec lock|status` end to end: intake output on disk, the quote's schema,
// held-out items kept out of the checklist, every bad input a clear exit-3 error that writes nothing.
import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Checklist, DriftReport, Plan, Spec } from "../../src/core/schema.ts";
import { selectHeldOut } from "../../src/spec/heldout.ts";
import { bareLokiEntry, loki } from "../helpers/cli.ts";
import { tmpdir, type TmpDir } from "../helpers/tmp.ts";

const TEMPLATES = resolve(import.meta.dir, "..", "..", "templates");
const REAL_CLAUDE = resolve(import.meta.dir, "..", "..", "node_modules", ".bin", "claude");
const BARE_PATH = "/usr/bin:/bin";
const isRoot = process.getuid?.() === 0;

describe("plan", () => {
  test("a PRD becomes spec.json and a checklist without the held-out items; --json is a Plan", async () => {
    await using dir = await tmpdir({ git: true });
    copyFileSync(join(TEMPLATES, "rest-api-auth.md"), join(dir.path, "prd.md"));
    const result = await loki(["plan", "prd.md", "--json"], { cwd: dir.path });
    expect(result.code).toBe(0);
    const plan = Plan.parse(result.json());
    const spec = Spec.parse(JSON.parse(readFileSync(join(dir.path, ".loki/spec/spec.json"), "utf8")));
    const checklist = Checklist.parse(JSON.parse(readFileSync(join(dir.path, ".loki/checklist/checklist.json"), "utf8")));
    expect(spec.items.length).toBeGreaterThanOrEqual(18);
    const heldOut = selectHeldOut(spec.items);
    expect(heldOut.length).toBe(5);
    expect(checklist.held_out_count).toBe(heldOut.length);
    expect(checklist.items).toHaveLength(spec.items.length - heldOut.length);
    const listed = JSON.stringify(checklist);
    for (const item of heldOut) expect(listed).not.toContain(item.id);
    expect(plan.items).toEqual({ total: spec.items.length, visible: checklist.items.length, held_out: heldOut.length });
    expect(plan.spec.sha256).toBe(spec.source.sha256);
    expect(readFileSync(join(dir.path, ".loki/.gitignore"), "utf8")).toBe("*\n");
  });

  test("the human quote shows tier, iterations, cost per model and time on stdout", async () => {
    await using dir = await tmpdir({ git: true });
    copyFileSync(join(TEMPLATES, "todo-app.md"), join(dir.path, "prd.md"));
    const result = await loki(["plan"], { cwd: dir.path });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/complexity\s+(simple|standard|complex)/);
    expect(result.stdout).toMatch(/cost\s+~\$\d+\.\d\d \(\$\d+\.\d\d–\$\d+\.\d\d\)/);
    expect(result.stdout).toContain("* claude-");
    expect(result.stderr).toContain("wrote .loki/spec/spec.json");
  });

  test("flags override config: --provider and --max-iterations", async () => {
    await using dir = await tmpdir({ git: true, files: { "loki.yaml": "provider: claude\n" } });
    copyFileSync(join(TEMPLATES, "cli-tool.md"), join(dir.path, "prd.md"));
    const plan = Plan.parse((await loki(["plan", "--provider", "codex", "--max-iterations", "3", "--json"], { cwd: dir.path })).json());
    expect(plan.models.provider).toBe("codex");
    expect(plan.iterations.high).toBeLessThanOrEqual(3);
    expect(plan.cost.by_model.every((m) => m.model.startsWith("gpt-"))).toBe(true);
  });

  test("a brief is a spec", async () => {
    await using dir = await tmpdir({ git: true });
    const plan = Plan.parse(
      (await loki(["plan", "add a dark mode toggle to the settings page; remember the choice", "--json"], { cwd: dir.path })).json(),
    );
    expect(plan.spec.kind).toBe("brief");
    expect(plan.items.total).toBeGreaterThanOrEqual(2);
  });
});

/** A committed repo ready for `loki start` but for what `config` and the environment leave out; Claude Code in node_modules/.bin. */
async function startable(config: string): Promise<TmpDir> {
  const files = { "prd.md": "# Demo\n\n- [ ] it works\n- [ ] it is fast\n", "loki.yaml": config, ".gitignore": "node_modules/\n" };
  const dir = await tmpdir({ commit: true, files });
  mkdirSync(join(dir.path, "node_modules", ".bin"), { recursive: true });
  symlinkSync(REAL_CLAUDE, join(dir.path, "node_modules", ".bin", "claude"));
  return dir;
}

describe("plan warns when start would refuse now (the rules start applies)", () => {
  test("not logged in: stderr and start_refusals name the login command as it runs here; start refuses the same", async () => {
    await using dir = await startable("sandbox: false\nallow_root: true\n");
    const env = { PATH: BARE_PATH };
    const refusal = {
      check: "login" as const,
      message: "Claude Code is installed (node_modules/.bin) but not logged in",
      fix: "npx claude auth login, or set ANTHROPIC_API_KEY",
    };
    expect(Plan.parse((await loki(["plan", "prd.md", "--json"], { cwd: dir.path, env })).json()).start_refusals).toEqual([refusal]);
    const human = await loki(["plan", "prd.md"], { cwd: dir.path, env });
    expect(human.code).toBe(0);
    expect(human.stderr).toContain(`warning: loki start would refuse now: ${refusal.message} (fix: ${refusal.fix})\n`);
    const start = await loki(["start", "prd.md"], { cwd: dir.path, env });
    expect(start.code).toBe(3);
    expect(start.stderr).toContain(`error: ${refusal.message}\nhint: ${refusal.fix}\n`);
    const loggedIn = await loki(["plan", "prd.md", "--json"], { cwd: dir.path, env: { ...env, ANTHROPIC_API_KEY: "k" } });
    expect(Plan.parse(loggedIn.json()).start_refusals).toEqual([]);
  });

  test.skipIf(!isRoot)("as root, unsandboxed, without opt-in: the root refusal; allow_root clears it", async () => {
    await using dir = await startable("sandbox: false\nallow_root: false\n");
    const env = { PATH: BARE_PATH, ANTHROPIC_API_KEY: "k" };
    const refusals = Plan.parse((await loki(["plan", "prd.md", "--json"], { cwd: dir.path, env })).json()).start_refusals ?? [];
    expect(refusals).toEqual([
      { check: "root", message: expect.stringContaining("running as root"), fix: expect.stringContaining("--yes") },
    ]);
    const start = await loki(["start", "prd.md"], { cwd: dir.path, env });
    expect(start.code).toBe(3);
    expect(start.stderr).toContain(`error: ${refusals[0]?.message}`);
    const human = await loki(["plan", "prd.md"], { cwd: dir.path, env });
    expect(human.stderr).toContain(`warning: loki start would refuse now: ${refusals[0]?.message}`);
    const optedIn = await loki(["plan", "prd.md", "--json"], { cwd: dir.path, env: { ...env, LOKI_ALLOW_ROOT: "true" } });
    expect(Plan.parse(optedIn.json()).start_refusals).toEqual([]);
  });

  test.skipIf(process.platform !== "linux")("no sandbox (no bwrap on PATH): the sandbox refusal, as start says it", async () => {
    await using dir = await startable("allow_root: true\n");
    await using tools = await tmpdir();
    const bin = join(tools.path, "git-only");
    mkdirSync(bin);
    symlinkSync(Bun.which("git") ?? "/usr/bin/git", join(bin, "git"));
    const env = { PATH: bin, ANTHROPIC_API_KEY: "k" };
    const refusals = Plan.parse((await loki(["plan", "prd.md", "--json"], { cwd: dir.path, env })).json()).start_refusals ?? [];
    expect(refusals).toEqual([
      {
        check: "sandbox",
        message: "no sandbox for the agent: bubblewrap (bwrap) is not installed",
        fix: expect.stringContaining("--no-sandbox"),
      },
    ]);
    const start = await loki(["start", "prd.md"], { cwd: dir.path, env });
    expect(start.code).toBe(3);
    expect(start.stderr).toContain(`error: ${refusals[0]?.message}`);
  });

  test("no provider CLI anywhere: the install command first", async () => {
    await using dir = await tmpdir({ git: true, files: { "prd.md": "# Demo\n\n- [ ] it works\n" } });
    const result = await loki(["plan", "prd.md", "--json"], { cwd: dir.path, env: { PATH: BARE_PATH }, entry: bareLokiEntry() });
    const refusals = Plan.parse(result.json()).start_refusals ?? [];
    expect(refusals[0]).toEqual({
      check: "install",
      message: "Claude Code is not installed",
      fix: "npm install -g @anthropic-ai/claude-code",
    });
  });
});

const BAD: [string, (dir: string) => string, RegExp][] = [
  ["empty file", (d) => write(d, "prd.md", "  \n\n"), /prd.md is empty/],
  ["binary file", (d) => write(d, "prd.md", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2])), /looks binary/],
  ["non-UTF-8", (d) => write(d, "prd.md", Buffer.from("# Caf\xe9\n- [ ] d\xe9j\xe0 vu\n", "latin1")), /not valid UTF-8/],
  ["over 5 MB", (d) => write(d, "prd.md", `# Big\n${"- [ ] item\n".repeat(600_000)}`), /specs are limited to 5 MB/],
  ["invalid JSON", (d) => write(d, "spec.json", '{\n  "features": [\n    "a",\n  ]\n}'), /spec.json:\d+:\d+: invalid JSON/],
  ["invalid YAML", (d) => write(d, "spec.yaml", "features:\n  - a\n - b: [\n"), /spec.yaml:\d+:\d+: invalid YAML/],
  ["OpenAPI without paths", (d) => write(d, "api.yaml", "openapi: 3.0.3\ninfo:\n  title: x\n  version: '1'\npaths: {}\n"), /no paths/],
  ["not a spec", () => "missing-file.md", /not a spec/],
  ["unsupported file type", (d) => write(d, "notes.rst", "text"), /unsupported spec file type/],
];

function write(dir: string, name: string, content: string | Buffer): string {
  writeFileSync(join(dir, name), content);
  return name;
}

describe("bad input: one clear message, exit 3, nothing written", () => {
  for (const [name, make, message] of BAD) {
    test(name, async () => {
      await using dir = await tmpdir({ git: true });
      const arg = make(dir.path);
      const result = await loki(["plan", arg], { cwd: dir.path });
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/^error: /);
      expect(result.stderr).toMatch(/^hint: /m);
      expect(result.stderr).not.toMatch(/\n\s+at .*\.ts/);
      expect(result.stdout).toBe("");
      expect(existsSync(join(dir.path, ".loki"))).toBe(false);
    });
  }

  test("--json errors are JSON on stdout too", async () => {
    await using dir = await tmpdir({ git: true });
    const result = await loki(["plan", "missing.md", "--json"], { cwd: dir.path });
    expect(result.code).toBe(3);
    expect(result.json()).toMatchObject({ ok: false, error: { kind: "spec", exit_code: 3 } });
  });

  test("a bad config value names the key and file", async () => {
    await using dir = await tmpdir({ git: true, files: { "loki.yaml": "max_iterations: many\n" } });
    copyFileSync(join(TEMPLATES, "todo-app.md"), join(dir.path, "prd.md"));
    const result = await loki(["plan"], { cwd: dir.path });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('config key "max_iterations" (from');
  });
});

describe("spec lock and status", () => {
  test("in sync → 0; edited → 1 with added/removed/changed; no lock → 3", async () => {
    await using dir = await tmpdir({ git: true });
    const none = await loki(["spec", "status"], { cwd: dir.path });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain("loki spec lock");
    dir.write(
      "prd.md",
      "# Shop\n\n## Acceptance criteria\n- [ ] Users can sign up with email\n- [ ] Users can log in\n- [ ] Carts keep items for 30 days\n",
    );
    expect((await loki(["spec", "lock", "prd.md"], { cwd: dir.path })).code).toBe(0);
    expect(existsSync(join(dir.path, ".loki/spec/spec.lock"))).toBe(true);
    const clean = await loki(["spec", "status", "--json"], { cwd: dir.path });
    expect(clean.code).toBe(0);
    expect(clean.json()).toMatchObject({ in_sync: true });
    dir.write(
      "prd.md",
      "# Shop\n\n## Acceptance criteria\n- [ ] Users can sign up with email or phone\n- [ ] Carts keep items for 30 days\n- [ ] Users can export orders as CSV\n",
    );
    const drift = await loki(["spec", "status", "--json"], { cwd: dir.path });
    expect(drift.code).toBe(1);
    const report = DriftReport.parse(drift.json());
    expect(report.changed.map((c) => c.after)).toEqual(["Users can sign up with email or phone"]);
    expect(report.removed.map((r) => r.text)).toEqual(["Users can log in"]);
    expect(report.added.map((a) => a.text)).toEqual(["Users can export orders as CSV"]);
    expect(DriftReport.parse(JSON.parse(readFileSync(join(dir.path, ".loki/spec/drift-report.json"), "utf8")))).toEqual(report);
    expect((await loki(["spec", "lock"], { cwd: dir.path })).code).toBe(0);
    expect((await loki(["spec", "status"], { cwd: dir.path })).code).toBe(0);
  });

  test("a locked spec file that disappeared is an error, not drift", async () => {
    await using dir = await tmpdir({ git: true });
    dir.write("prd.md", "# A\n\n- [ ] one thing works\n");
    await loki(["spec", "lock", "prd.md"], { cwd: dir.path });
    (await import("node:fs")).rmSync(join(dir.path, "prd.md"));
    const result = await loki(["spec", "status"], { cwd: dir.path });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("no such file");
  });
});
