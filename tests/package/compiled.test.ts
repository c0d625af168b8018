// The self-contained binary, built with package.json's own `build` script into a temp dir: it runs
// `version` and `doctor --json` on a PATH without bun or node_modules, and — like the launcher — never
// loads the bunfig.toml or .env of the repository it runs in.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir as osTmp } from "node:os";
import { join } from "node:path";
import { cleanEnv, HOSTILE_REPO, pathWithoutBun, ROOT, sh } from "../helpers/package.ts";
import { tmpdir } from "../helpers/tmp.ts";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; scripts: { build: string } };
const out = mkdtempSync(join(osTmp(), "loki-compiled-"));
const binary = join(out, "loki");
const noBun = pathWithoutBun();

const BUILD_SCRIPT = "scripts/build-binary.ts";

/** The build script's argv (`bun scripts/build-binary.ts [outfile]`) with its output file moved to `file`. */
function buildArgv(file: string): string[] {
  if (pkg.scripts.build !== `bun ${BUILD_SCRIPT}`) throw new Error(`unexpected build script: ${pkg.scripts.build}`);
  return [process.execPath, BUILD_SCRIPT, file];
}

beforeAll(async () => {
  await sh(buildArgv(binary), ROOT, cleanEnv(noBun), true);
}, 240_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("the compiled binary", () => {
  test("is built without autoloading .env or bunfig.toml", () => {
    const script = readFileSync(join(ROOT, BUILD_SCRIPT), "utf8");
    expect(script).toContain("autoloadDotenv: false");
    expect(script).toContain("autoloadBunfig: false");
  });

  test("version and doctor --json, with no bun on PATH", async () => {
    const env = cleanEnv(noBun);
    expect((await sh([binary, "version"], out, env, true)).stdout.trim()).toBe(`loki ${pkg.version}`);
    const doctor = await sh([binary, "doctor", "--json"], out, env);
    const report = JSON.parse(doctor.stdout) as { ok: boolean; checks: { name: string; status: string; version: string | null }[] };
    expect(report.checks.find((c) => c.name === "bun")).toMatchObject({ status: "ok", version: Bun.version });
    expect(report.checks.find((c) => c.name === "git")?.status).toBe("ok");
    expect(doctor.exitCode).toBe(report.ok ? 0 : 1);
  });

  test("preview starts its supervisor from the binary itself (no bun on PATH) and stops it", async () => {
    await using repo = await tmpdir({ commit: true, files: { "index.html": "<h1>compiled</h1>" } });
    const env = { ...cleanEnv(noBun), LOKI_NO_AUTO_OPEN: "1" };
    const started = await sh([binary, "preview", "--no-open", "--json"], repo.path, env);
    const { status, state } = JSON.parse(started.stdout) as { status: string; state: { url: string } };
    try {
      expect(status, started.stderr).toBe("live");
      expect(await (await fetch(state.url)).text()).toBe("<h1>compiled</h1>");
    } finally {
      expect((await sh([binary, "preview", "stop"], repo.path, env)).stdout).toContain("stopped the app");
    }
  });

  test("a repository's .env and bunfig.toml preload do not reach it", async () => {
    await using repo = await tmpdir({ commit: true, files: HOSTILE_REPO });
    const shown = await sh([binary, "provider", "show", "--json"], repo.path, cleanEnv(noBun), true);
    expect(JSON.parse(shown.stdout)).toMatchObject({ provider: "claude", source: "default" });
    expect(existsSync(join(repo.path, "preloaded"))).toBe(false);
  });
});
