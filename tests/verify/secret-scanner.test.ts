// `loki verify --secret-scanner auto|builtin|gitleaks` and loki.yaml's verify.secret_scanner, through
// the real CLI in throwaway repositories, with a PATH that holds git and, when a test wants one, a
// stand-in gitleaks (a script with gitleaks' flags and report format) — never the machine's own.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Evidence } from "../../src/core/evidence-schema.ts";
import { loki } from "../helpers/cli.ts";
import { type Files, gateOf, verifyRepo } from "../helpers/verify-repo.ts";

// Each test runs the real CLI: well past the 5 s default.
setDefaultTimeout(60_000);

/** Reports every line holding `corp_secret_` as gitleaks' JSON report would. */
const FAKE_GITLEAKS = `
const { readdirSync, readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");
const arg = (name) => process.argv[process.argv.indexOf(name) + 1];
const found = [];
for (const entry of readdirSync(arg("--source"), { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const file = join(entry.parentPath, entry.name);
  readFileSync(file, "utf8").split("\\n").forEach((text, i) => {
    const m = /corp_secret_\\w+/.exec(text);
    if (m) found.push({ RuleID: "corp-secret", Description: "Corp secret", File: file, StartLine: i + 1, Secret: m[0] });
  });
}
writeFileSync(arg("--report-path"), JSON.stringify(found));
process.exit(found.length > 0 ? 1 : 0);
`;

/** A PATH directory with git in it, and a stand-in gitleaks when asked for. */
function toolDir(root: string, withGitleaks: boolean): string {
  const bin = join(root, "tools");
  mkdirSync(bin, { recursive: true });
  const realGit = Bun.which("git");
  if (realGit === null) throw new Error("git is not on PATH");
  symlinkSync(realGit, join(bin, "git"));
  if (withGitleaks) {
    writeFileSync(join(root, "fake-gitleaks.js"), FAKE_GITLEAKS);
    writeFileSync(join(bin, "gitleaks"), `#!/bin/sh\nexec "${process.execPath}" "${join(root, "fake-gitleaks.js")}" "$@"\n`, {
      mode: 0o755,
    });
  }
  return bin;
}

const BASE: Files = { "README.md": "# app\n" };
const LEAK: Files = { "notes.txt": "key = corp_secret_b1ue\n" };

async function verifyWith(args: string[], options: { gitleaks: boolean; base?: Files }) {
  await using repo = await verifyRepo(options.base ?? BASE, LEAK);
  const PATH = toolDir(repo.root, options.gitleaks);
  const result = await loki(["verify", "--json", "--only", "secrets", ...args], { cwd: repo.path, env: { PATH } });
  const evidence = result.code === 3 ? undefined : Evidence.parse(result.json());
  return { code: result.code, stderr: result.stderr, secrets: evidence === undefined ? undefined : gateOf(evidence, "secrets") };
}

describe("--secret-scanner", () => {
  test("auto (the default) runs gitleaks when it is on PATH", async () => {
    const { code, secrets } = await verifyWith([], { gitleaks: true });
    expect(code).toBe(2);
    expect(secrets?.findings.map((f) => f.rule)).toEqual(["gitleaks:corp-secret"]);
    expect(secrets?.details).toMatchObject({ scanner: "auto", gitleaks: "ran" });
  });

  test("builtin never runs gitleaks, even when it is on PATH", async () => {
    const { code, secrets } = await verifyWith(["--secret-scanner", "builtin"], { gitleaks: true });
    expect(code).toBe(0);
    expect(secrets?.details).toMatchObject({ scanner: "builtin", gitleaks: "disabled" });
  });

  test("gitleaks runs it when installed", async () => {
    const { code, secrets } = await verifyWith(["--secret-scanner", "gitleaks"], { gitleaks: true });
    expect(code).toBe(2);
    expect(secrets?.details).toMatchObject({ scanner: "gitleaks", gitleaks: "ran" });
  });

  test("gitleaks without gitleaks installed: exit 3 with the install hint", async () => {
    const { code, stderr } = await verifyWith(["--secret-scanner", "gitleaks"], { gitleaks: false });
    expect(code).toBe(3);
    expect(stderr).toContain("--secret-scanner gitleaks: gitleaks is not installed (not on PATH)");
    expect(stderr).toContain("https://github.com/gitleaks/gitleaks#installing");
  });

  test("an unknown scanner is a usage error (exit 3) naming the valid ones", async () => {
    const { code, stderr } = await verifyWith(["--secret-scanner", "trufflehog"], { gitleaks: true });
    expect(code).toBe(3);
    expect(stderr).toContain('--secret-scanner: unknown scanner "trufflehog"');
    expect(stderr).toContain("auto, builtin, gitleaks");
  });
});

describe("loki.yaml verify.secret_scanner", () => {
  const base = (scanner: string): Files => ({ ...BASE, "loki.yaml": `verify:\n  secret_scanner: ${scanner}\n` });

  test("the base's choice applies: gitleaks without gitleaks installed exits 3 and names the key", async () => {
    const { code, stderr } = await verifyWith([], { gitleaks: false, base: base("gitleaks") });
    expect(code).toBe(3);
    expect(stderr).toContain("loki.yaml verify.secret_scanner is gitleaks, but gitleaks is not installed (not on PATH)");
  });

  test("builtin in loki.yaml keeps gitleaks off; the flag overrides it", async () => {
    const off = await verifyWith([], { gitleaks: true, base: base("builtin") });
    expect(off.secrets?.details).toMatchObject({ scanner: "builtin", gitleaks: "disabled" });
    const on = await verifyWith(["--secret-scanner", "auto"], { gitleaks: true, base: base("builtin") });
    expect(on.secrets?.details).toMatchObject({ scanner: "auto", gitleaks: "ran" });
  });
});
