// The package as users get it: this checkout packed with `npm pack`, the tarball installed into a
// fresh global prefix, into a fresh project, and run through npx and bunx — each on a PATH with node
// and git but no Bun. The npm registry serves the dependencies (a shared cache makes repeats quick).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecResult } from "../../src/core/exec.ts";
import { git } from "../helpers/tmp.ts";
import { cleanEnv, forgetNpxInstall, isNative, npmEnv, packCheckout, pathWithoutBun, platformBun, ROOT, sh } from "../helpers/package.ts";

const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const SETUP_TIMEOUT_MS = 300_000;

const work = mkdtempSync(join(tmpdir(), "loki-package-"));
const prefix = join(work, "prefix");
const project = join(work, "project");
const elsewhere = join(work, "elsewhere");
const noBun = pathWithoutBun();
const onPath = `${join(prefix, "bin")}:${noBun}`;
let tarball = "";
let files: string[] = [];
let globalInstall: ExecResult;
let npxPackage: ExecResult;

beforeAll(async () => {
  for (const dir of [project, elsewhere]) mkdirSync(dir);
  ({ tarball, files } = await packCheckout(work, noBun));
  const env = npmEnv(noBun);
  // The three installs are independent: side by side they take as long as the slowest.
  [globalInstall, , npxPackage] = await Promise.all([
    sh(["npm", "install", "-g", "--prefix", prefix, tarball], work, env, true),
    (async () => {
      await sh(["npm", "init", "-y"], project, env, true);
      // Without install scripts, as npm's allowScripts policy or --ignore-scripts leave it: `bun`'s
      // postinstall never moves the binary out of its platform package.
      await sh(["npm", "install", "--ignore-scripts", tarball], project, env, true);
    })(),
    sh(["npx", "--package", tarball, "loki", "version"], elsewhere, env),
  ]);
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  forgetNpxInstall(tarball);
  rmSync(work, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  test("is loki-cli with the `loki` command, runs on Node >= 18, and ships its bytecode bundle, no sources, tests or benchmarks", () => {
    const manifest = JSON.parse(readFileSync(join(prefix, "lib", "node_modules", "loki-cli", "package.json"), "utf8"));
    expect(manifest).toMatchObject({ name: "loki-cli", bin: { loki: "bin/loki.js" }, engines: { node: ">=18" } });
    expect(manifest.dependencies.bun).toBeDefined();
    expect(files).toEqual(
      expect.arrayContaining(["bin/loki.js", "bin/loki.bunfig.toml", "dist/cli/cli.js", "dist/cli/cli.js.jsc", "templates/todo-app.md"]),
    );
    expect(
      files.filter((f) => /^(src|tests|bench|\.ci|node_modules)\//.test(f) || (f.startsWith("dist/") && !f.startsWith("dist/cli/"))),
    ).toEqual([]);
  });

  test("installs on this Node without an engine warning", () => {
    expect(globalInstall.stderr).not.toContain("EBADENGINE");
  });
});

describe("npm install -g, on a PATH without bun", () => {
  test("the PATH has node and git and no bun", () => {
    expect(Bun.which("bun", { PATH: onPath })).toBeNull();
    expect(Bun.which("node", { PATH: onPath })).not.toBeNull();
    expect(Bun.which("git", { PATH: onPath })).not.toBeNull();
  });

  test("loki version: loki's, on the Bun that came with the package", async () => {
    const text = await sh(["loki", "version"], work, cleanEnv(onPath), true);
    expect(text.stdout.trim()).toBe(`loki ${VERSION}`);
    const json = JSON.parse((await sh(["loki", "version", "--json"], work, cleanEnv(onPath), true)).stdout);
    const bun = JSON.parse(readFileSync(join(prefix, "lib", "node_modules", "loki-cli", "node_modules", "bun", "package.json"), "utf8"));
    expect(json).toEqual({ version: VERSION, bun: bun.version, platform: `${process.platform}-${process.arch}` });
  });

  test("loki doctor --json: git and Bun found, its exit code says whether a provider is usable", async () => {
    const doctor = await sh(["loki", "doctor", "--json"], work, cleanEnv(onPath));
    const report = JSON.parse(doctor.stdout) as {
      ok: boolean;
      checks: { name: string; status: string }[];
      providers: { id: string; path: string | null }[];
    };
    expect(report.checks.find((c) => c.name === "git")?.status).toBe("ok");
    expect(report.checks.find((c) => c.name === "bun")?.status).toBe("ok");
    expect(doctor.exitCode).toBe(report.ok ? 0 : 1);
    // The bundle looks for provider CLIs next to its own install, never at the paths of the checkout it was built in.
    expect(report.providers.filter((p) => p.path?.startsWith(ROOT))).toEqual([]);
  });

  test("loki verify: a branch adding code and no test runner is CONCERNS, exit 1", async () => {
    const repo = join(work, "repo");
    mkdirSync(repo);
    git(repo, ["init", "-q", "-b", "main"]);
    await Bun.write(join(repo, "README.md"), "# demo\n");
    git(repo, ["add", "-A"]);
    git(repo, ["commit", "-qm", "initial"]);
    git(repo, ["checkout", "-qb", "feature"]);
    await Bun.write(join(repo, "add.js"), "export const add = (a, b) => a + b;\n");
    git(repo, ["add", "-A"]);
    git(repo, ["commit", "-qm", "add"]);
    const verify = await sh(["loki", "verify", "main", "--json"], repo, cleanEnv(onPath));
    expect(verify.exitCode).toBe(1);
    const evidence = JSON.parse(verify.stdout) as { verdict: string; exit_code: number; reasons: string[]; repo: { branch: string } };
    expect(evidence).toMatchObject({ verdict: "CONCERNS", exit_code: 1, repo: { branch: "feature" } });
    expect(evidence.reasons.join("\n")).toContain("no test runner found");
  });
});

describe("loki quickstart from the installed package, with no Claude Code anywhere", () => {
  /** A terminal session of `loki quickstart` in `dir` that answers each prompt with `keys` when it shows. */
  async function quickstart(
    dir: string,
    answers: [string, string][],
    env: Record<string, string>,
  ): Promise<{ code: number; screen: string }> {
    const run = Bun.spawn(["script", "-qec", "stty cols 120 rows 40; loki quickstart", "/dev/null"], {
      cwd: dir,
      env,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    let screen = "";
    const reader = (async () => {
      for await (const chunk of run.stdout) screen += new TextDecoder().decode(chunk);
    })();
    for (const [prompt, keys] of answers) {
      for (const deadline = Date.now() + 60_000; !screen.includes(prompt); await Bun.sleep(25))
        if (Date.now() > deadline) throw new Error(`waiting for "${prompt}"; the screen shows:\n${screen}`);
      await Bun.sleep(150);
      run.stdin.write(keys);
      run.stdin.flush();
    }
    // A session that hangs is ended (and its screen shown), not left to the test's timeout.
    const watchdog = setTimeout(() => run.kill("SIGKILL"), 150_000);
    const code = await run.exited;
    clearTimeout(watchdog);
    await reader;
    return { code, screen };
  }

  /** `npm` as quickstart calls it, without the network: "installs" the scripted claude into the project. */
  function fakeNpm(): string {
    const bin = join(work, "fake-npm");
    mkdirSync(bin, { recursive: true });
    const claude = join(ROOT, "tests", "fixtures", "agents", "claude");
    writeFileSync(
      join(bin, "npm"),
      `#!/bin/sh\ncase "$*" in *@anthropic-ai/claude-code*) mkdir -p node_modules/.bin && ln -sf '${claude}' node_modules/.bin/claude && printf '{"devDependencies":{"@anthropic-ai/claude-code":"*"}}\\n' > package.json && exit 0;; esac\nexit 9\n`,
      { mode: 0o755 },
    );
    return bin;
  }

  /** The Bun of the global install: moved into bun/bin by its postinstall, else still in its platform package. */
  function installedBun(): string {
    const modules = join(prefix, "lib", "node_modules", "loki-cli", "node_modules");
    const moved = join(modules, "bun", "bin", "bun.exe");
    return existsSync(moved) && isNative(moved) ? moved : platformBun(modules);
  }

  const session = (name: string) => {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    // The scripted claude keeps its call count in claude's own state dir: the one place its sandbox lets it write.
    const claudeDir = join(process.env.HOME ?? work, ".claude");
    mkdirSync(claudeDir, { recursive: true });
    const state = mkdtempSync(join(claudeDir, "fake-agent-"));
    const env = cleanEnv(`${fakeNpm()}:${onPath}`, {
      TERM: "xterm",
      ANTHROPIC_API_KEY: "test-key",
      // The scripted claude runs on the Bun that came with the installed package: the one loki's sandbox
      // shows its agent wherever this checkout lies (a checkout under /tmp is hidden behind its private /tmp).
      FAKE_BUN: installedBun(),
      FAKE_AGENT_SCENARIO: "greenfield",
      FAKE_AGENT_STATE: state,
    });
    delete env.CI;
    return { dir, env };
  };

  test("declining the install builds nothing and says how to install it", async () => {
    const { dir, env } = session("qs-decline");
    const { code, screen } = await quickstart(dir, [["Install Claude Code into the new project", "n\r"]], env);
    expect(code, screen).toBe(1);
    expect(screen).toContain("Claude Code is not installed");
    expect(screen).toContain("nothing installed: install it yourself (npm install -g @anthropic-ai/claude-code)");
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);

  test("Enter at every step: Claude Code goes into the new project, and the Todo build runs and verifies", async () => {
    const { dir, env } = session("qs-install");
    const enter: [string, string][] = [
      "Install Claude Code into the new project",
      "What do you want to build?",
      "Start from this template",
      "Build it in ./todo-app?",
    ].map((p) => [p, "\r"]);
    const { code, screen } = await quickstart(dir, enter, env);
    expect(code, screen).toBe(0);
    const app = join(dir, "todo-app");
    expect(readlinkSync(join(app, "node_modules", ".bin", "claude"))).toEndWith("agents/claude");
    expect(readFileSync(join(app, ".gitignore"), "utf8")).toContain("node_modules/");
    expect(JSON.parse(readFileSync(join(app, ".loki", "state", "completion.json"), "utf8"))).toMatchObject({ outcome: "verified" });
  }, 180_000);
});

describe("a project that installed the tarball (no install scripts run)", () => {
  test("bun's own bin is still the placeholder: loki found the platform package's binary", () => {
    expect(isNative(join(project, "node_modules", "bun", "bin", "bun.exe"))).toBe(false);
    expect(isNative(platformBun(join(project, "node_modules")))).toBe(true);
  });

  test("npx loki and npx loki-cli run this loki, not the registry's `loki`", async () => {
    for (const argv of [
      ["npx", "loki", "version"],
      ["npx", "loki-cli", "version"],
    ]) {
      const result = await sh(argv, project, npmEnv(noBun), true);
      expect(result.stdout.trim()).toBe(`loki ${VERSION}`);
    }
  });

  test("bunx loki-cli, with the installed Bun, under Node and under Bun (--bun)", async () => {
    const bun = platformBun(join(project, "node_modules"));
    const env = cleanEnv(noBun, { BUN_INSTALL_CACHE_DIR: join(work, "bun-cache") });
    for (const argv of [
      [bun, "x", "loki-cli", "version"],
      [bun, "x", "--bun", "loki-cli", "version"],
    ]) {
      const result = await sh(argv, project, env, true);
      expect(result.stdout.trim()).toBe(`loki ${VERSION}`);
    }
  });
});

describe("npx --package <tarball>, outside any project", () => {
  test("installs it into npx's cache and runs loki", () => {
    expect(npxPackage.stderr).not.toContain("EBADENGINE");
    expect(npxPackage.exitCode).toBe(0);
    expect(npxPackage.stdout.trim()).toBe(`loki ${VERSION}`);
  });
});
