// The ways to a first build without writing a PRD: `loki quickstart` in a real pseudo-terminal (script(1))
// — Enter four times builds the Todo app and it verifies; outside a terminal it prints what to run —
// `loki quick "<task>"` (a brief, small caps; also with the REAL claude CLI against a fake Anthropic API
// on 127.0.0.1) and `loki demo` (quote, then build only after a yes; --yes in scripts).
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cliBundle } from "../helpers/cli-bundle.ts";
import { approveReadOnly, cwd, startFakeAnthropic, type AnthropicTurn } from "../helpers/fake-anthropic.ts";
import { loki } from "../helpers/cli.ts";
import { claudeEnv, cliSandbox } from "../helpers/real-cli.ts";
import { NO_COUNCIL, scenarioRepo, until } from "../helpers/scenario.ts";
import { tmpdir } from "../helpers/tmp.ts";

const CLI = cliBundle();
const state = (dir: string) => JSON.parse(readFileSync(join(dir, ".loki", "state", "completion.json"), "utf8"));
const caps = (dir: string) => JSON.parse(readFileSync(join(dir, ".loki", "state", "orchestrator.json"), "utf8")).caps;

describe("loki quickstart", () => {
  test("in a terminal, Enter four times builds the Todo app in a new directory, and it verifies", async () => {
    await using s = await scenarioRepo("greenfield", NO_COUNCIL);
    const env: Record<string, string> = { ...(process.env as Record<string, string>), ...s.env, TERM: "xterm" };
    delete env.CI;
    // script(1)'s terminal starts 0 columns wide: given a real size, as a user's terminal has.
    const command = `stty cols 120 rows 40; ${[process.execPath, CLI, "quickstart"].map((a) => `'${a}'`).join(" ")}`;
    const run = Bun.spawn(["script", "-qec", command, "/dev/null"], { cwd: s.path, env, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    let screen = "";
    const reader = (async () => {
      for await (const chunk of run.stdout) screen += new TextDecoder().decode(chunk);
    })();
    const enterAt = async (prompt: string) => {
      await until(() => screen.includes(prompt), 30_000).catch((error) => {
        throw new Error(`${error.message}: waiting for "${prompt}", the screen shows:\n${screen}`);
      });
      await Bun.sleep(150);
      run.stdin.write("\r");
      run.stdin.flush();
    };
    await enterAt("Continue?");
    await enterAt("What do you want to build?");
    await enterAt("Start from this template");
    await enterAt("Build it in ./todo-app?");
    const code = await run.exited;
    await reader;
    expect(code, screen).toBe(0);
    expect(screen).toContain("1/4 Setup");
    expect(screen).toContain("4/4 The quote for todo-app");
    expect(screen).toMatch(/▸ claude-[\w.-]+: ~\$/);
    const dir = join(s.path, "todo-app");
    expect(readFileSync(join(dir, "prd.md"), "utf8")).toStartWith("# Tickoff: a small, accessible web todo app");
    expect(state(dir)).toMatchObject({ outcome: "verified" });
  }, 120_000);

  test("outside a terminal it builds nothing and prints what to run instead", async () => {
    await using dir = await tmpdir();
    const result = await loki(["quickstart"], { cwd: dir.path });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("loki init todo --template todo-app && cd todo && loki plan && loki start");
    expect(readdirSync(dir.path)).toEqual([]);
  });
});

describe("loki quick", () => {
  test("a one-line task is the spec, with small caps by default; the same gates and proof", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    const result = await s.loki(["quick", "add add and sub helpers to math.js"]);
    expect(result.code, result.stderr).toBe(0);
    expect(state(s.path)).toMatchObject({ outcome: "verified" });
    expect(caps(s.path)).toMatchObject({ max_iterations: 5 });
    expect(JSON.parse(readFileSync(join(s.path, ".loki", "spec", "spec.json"), "utf8")).source.kind).toBe("brief");
    expect(existsSync(join(s.path, ".loki", "proofs", state(s.path).run_id, "proof.json"))).toBe(true);
    // A one-word task is a brief too (never taken for a file or an issue), and the caps give way to flags.
    await using t = await scenarioRepo("honest", NO_COUNCIL);
    expect((await t.loki(["quick", "refactor", "--max-iterations", "2"])).code).not.toBe(3);
    expect(caps(t.path)).toMatchObject({ max_iterations: 2 });
    const empty = await s.loki(["quick", " "]);
    expect(empty.code).toBe(3);
    expect(empty.stderr).toContain('loki quick needs a task, e.g. loki quick "');
  }, 120_000);

  test("its small caps never raise a cap your config sets lower", async () => {
    await using s = await scenarioRepo("honest", `${NO_COUNCIL}budget_usd: 0.5\nmax_iterations: 2\n`);
    expect((await s.loki(["quick", "add add and sub helpers to math.js"])).code).not.toBe(3);
    expect(caps(s.path)).toMatchObject({ max_iterations: 2 });
    const orchestrator = JSON.parse(readFileSync(join(s.path, ".loki", "state", "orchestrator.json"), "utf8"));
    expect(orchestrator.budget.limit_usd).toBe(0.5);
  });

  test("with the real claude CLI against a fake Anthropic API: the brief reaches the model, the run verifies", async () => {
    const MATH = "export const add = (a, b) => a + b;\n";
    const TESTS =
      'import { test } from "node:test";\nimport assert from "node:assert";\nimport { add } from "./math.js";\ntest("add", () => assert.strictEqual(add(2, 3), 5));\n';
    const build: AnthropicTurn[] = [
      { toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), "math.js"), content: MATH }) } },
      { toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), "math.test.js"), content: TESTS }) } },
      { text: "Added add() with a test.\nLOKI_DONE" },
    ];
    let builds = 0;
    await using api = await startFakeAnthropic((req) => {
      const review = approveReadOnly(req);
      if (review) return review;
      return build[Math.min(builds++, build.length - 1)] as AnthropicTurn;
    });
    await using box = await cliSandbox();
    await using repo = await tmpdir({
      commit: true,
      files: {
        "package.json": JSON.stringify({ name: "m", type: "module", private: true, scripts: { test: "node --test" } }),
        "loki.yaml": "allow_root: true\n",
      },
    });
    const env = { ...claudeEnv(box, api.url), PATH: `${resolve(import.meta.dir, "..", "..", "node_modules", ".bin")}:${process.env.PATH}` };
    const result = await loki(["quick", "add an add(a, b) function with a test"], { cwd: repo.path, env });
    expect(result.code, result.stderr).toBe(0);
    expect(state(repo.path)).toMatchObject({ outcome: "verified" });
    const first = JSON.stringify(api.modelCalls()[0]?.body.messages ?? []);
    expect(first).toContain("add an add(a, b) function with a test");
  }, 90_000);
});

describe("loki demo", () => {
  test("outside a terminal without --yes: the quote, nothing built", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    const target = join(s.path, "..", `demo-${process.pid}-no`);
    const result = await s.loki(["demo", "--dir", target]);
    expect(result.code).toBe(1);
    // The quote as plan gives it: iterations, tokens, dollars per model (the chosen one marked), time.
    expect(result.stdout).toMatch(/iterations ~\d+ \(\d+–\d+\)/);
    expect(result.stdout).toMatch(/tokens ~\d+k in, ~\d+k out/);
    expect(result.stdout).toMatch(/▸ claude-[\w.-]+: ~\$\d+\.\d\d \(\$\d+\.\d\d–\$\d+\.\d\d\)/);
    expect(result.stdout).toMatch(/time ~\d+ min/);
    expect(result.stderr).toContain("nothing built: in a script, confirm with loki demo --yes");
    expect(existsSync(target)).toBe(false);
  });

  test("--yes builds the bundled sample end to end in a new directory", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    const target = join(s.path, "..", `demo-${process.pid}-yes`);
    const result = await s.loki(["demo", "--yes", "--dir", target]);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(target, "prd.md"), "utf8")).toStartWith("# Slugs: a tiny slug library");
    expect(state(target)).toMatchObject({ outcome: "verified" });
    expect(result.stdout).toContain(`the demo is in ${target}`);
    const again = await s.loki(["demo", "--yes", "--dir", target]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain("already exists");
  }, 120_000);
});
