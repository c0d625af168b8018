// The secrets gate with gitleaks beside the built-in rules, and the scanner choice (loki.yaml
// verify.secret_scanner, --secret-scanner): auto, builtin, gitleaks. gitleaks is faked by a script at
// its process boundary (its flags, its JSON report), on real repositories.
import { describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Config, type SecretScanner } from "../../src/core/config.ts";
import type { GateResult } from "../../src/core/schema.ts";
import { SECRET_RULES } from "../../src/core/secrets/detect.ts";
import { detectProject } from "../../src/gates/detect.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { runGates } from "../../src/gates/gate.ts";
import { createSecretsGate, type SecretsGateOptions } from "../../src/gates/secrets.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const AWS_LINE = SECRET_RULES.find((r) => r.id === "aws-access-key-id")?.samples.tp[0] ?? "";

/** Commits `base`, then `change` on top, and runs the gate on that diff with this scanner choice. */
async function verify(
  base: Record<string, string>,
  change: Record<string, string>,
  options: SecretsGateOptions,
  scanner?: SecretScanner,
): Promise<GateResult> {
  await using dir = await tmpdir({ commit: true, files: base });
  const baseSha = git(dir.path, ["rev-parse", "HEAD"]).trim();
  for (const [path, text] of Object.entries(change)) dir.write(path, text);
  git(dir.path, ["add", "-A"]);
  git(dir.path, ["commit", "-qm", "change"]);
  const config = Config.parse(scanner === undefined ? {} : { verify: { secret_scanner: scanner } });
  const subject = await readSubject(dir.path, baseSha, { includeWorktree: false });
  const [result] = await runGates([createSecretsGate(options)], { subject, project: detectProject(subject.root, config), config });
  if (!result) throw new Error("no gate result");
  return result;
}

/** A stand-in for gitleaks: reports every line holding `corp_secret_` or an AWS key id, as gitleaks' JSON. */
const FAKE_GITLEAKS = `
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const arg = (name) => process.argv[process.argv.indexOf(name) + 1];
if (process.env.FAKE_GITLEAKS_FAIL) process.exit(2);
const source = arg("--source");
const found = [];
for (const entry of readdirSync(source, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const file = join(entry.parentPath, entry.name);
  readFileSync(file, "utf8").split("\\n").forEach((text, i) => {
    const m = /corp_secret_\\w+|AKIA\\w{16}/.exec(text);
    if (m) found.push({ RuleID: m[0].startsWith("AKIA") ? "aws-access-token" : "corp-secret", Description: "Corp secret", File: file, StartLine: i + 1, Secret: m[0] });
  });
}
writeFileSync(arg("--report-path"), JSON.stringify(found));
process.exit(found.length > 0 ? 1 : 0);
`;

async function withFakeGitleaks<T>(fn: (bin: string) => Promise<T>): Promise<T> {
  await using tools = await tmpdir();
  writeFileSync(join(tools.path, "fake-gitleaks.js"), FAKE_GITLEAKS);
  const bin = tools.write("gitleaks", `#!/bin/sh\nexec "${process.execPath}" "${join(tools.path, "fake-gitleaks.js")}" "$@"\n`);
  chmodSync(bin, 0o755);
  return await fn(bin);
}

describe("secrets gate with gitleaks", () => {
  test("its findings are merged at their real line numbers and deduplicated by file and line", async () => {
    const base = { "notes.txt": "one\ntwo\nthree\nfour\nfive\n" };
    const change = { "notes.txt": `one\ntwo\n${AWS_LINE}\nfour\nkey = corp_secret_b1ue\n` };
    const result = await withFakeGitleaks((bin) => verify(base, change, { gitleaks: bin }));
    expect(result.details).toMatchObject({ gitleaks: "ran" });
    expect(result.findings.map((f) => [f.rule, f.line, f.severity])).toEqual([
      ["aws-access-key-id", 3, "critical"],
      ["gitleaks:corp-secret", 5, "high"],
    ]);
    expect(JSON.stringify(result)).not.toContain("corp_secret_b1ue");
  });

  test("a gitleaks that fails is recorded, and the built-in scan still decides", async () => {
    process.env.FAKE_GITLEAKS_FAIL = "1";
    try {
      const result = await withFakeGitleaks((bin) => verify({ "README.md": "# app\n" }, { "a.txt": "hello\n" }, { gitleaks: bin }));
      expect({ status: result.status, reason: result.reason }).toEqual({
        status: "pass",
        reason: "scanned 1 added line in 1 file, no secrets; gitleaks failed: exit 2",
      });
      expect(result.details).toMatchObject({ gitleaks: "failed" });
    } finally {
      delete process.env.FAKE_GITLEAKS_FAIL;
    }
  });
});

describe("the scanner choice (verify.secret_scanner, --secret-scanner)", () => {
  const base = { "notes.txt": "one\n" };
  const change = { "notes.txt": "one\nkey = corp_secret_b1ue\n" };

  test("auto (the default) runs gitleaks when there is one; builtin never does", async () => {
    const auto = await withFakeGitleaks((bin) => verify(base, change, { gitleaks: bin }));
    expect(auto.findings.map((f) => f.rule)).toEqual(["gitleaks:corp-secret"]);
    expect(auto.details).toMatchObject({ scanner: "auto", gitleaks: "ran" });
    const builtin = await withFakeGitleaks((bin) => verify(base, change, { gitleaks: bin }, "builtin"));
    expect({ status: builtin.status, findings: builtin.findings }).toEqual({ status: "pass", findings: [] });
    expect(builtin.details).toMatchObject({ scanner: "builtin", gitleaks: "disabled" });
  });

  test("gitleaks: its findings count; a clean scan without it is inconclusive, never a pass", async () => {
    const ran = await withFakeGitleaks((bin) => verify(base, change, { gitleaks: bin }, "gitleaks"));
    expect(ran.findings.map((f) => f.rule)).toEqual(["gitleaks:corp-secret"]);
    const missing = await verify(base, change, { gitleaks: null }, "gitleaks");
    expect({ status: missing.status, reason: missing.reason }).toEqual({
      status: "inconclusive",
      reason:
        "gitleaks is required (secret scanner: gitleaks) but not installed; the built-in rules scanned 1 added line in 1 file, no secrets",
    });
    process.env.FAKE_GITLEAKS_FAIL = "1";
    try {
      const failed = await withFakeGitleaks((bin) => verify(base, change, { gitleaks: bin }, "gitleaks"));
      expect(failed.status).toBe("inconclusive");
      expect(failed.reason).toStartWith("gitleaks is required (secret scanner: gitleaks) but failed; the built-in rules scanned");
    } finally {
      delete process.env.FAKE_GITLEAKS_FAIL;
    }
  });

  test("gitleaks: a built-in finding still fails the gate when gitleaks is missing", async () => {
    const result = await verify(base, { "app.env": `${AWS_LINE}\n` }, { gitleaks: null }, "gitleaks");
    expect({ status: result.status, rules: result.findings.map((f) => f.rule) }).toEqual({ status: "fail", rules: ["aws-access-key-id"] });
  });
});
