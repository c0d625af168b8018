// Throwaway repositories for `loki verify` tests: a `main` branch holding the base commit and a
// `feature` branch with the change on top, optionally served from a bare `origin` (real clones).
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir as osTmp } from "node:os";
import { dirname, join } from "node:path";
import { Evidence } from "../../src/core/evidence-schema.ts";
import { loki } from "./cli.ts";
import { git } from "./tmp.ts";

export type Files = Record<string, string>;
export type VerifyRepo = {
  root: string;
  path: string;
  base: string;
  write: (files: Files) => void;
  commit: (files: Files, message?: string) => string;
  [Symbol.asyncDispose]: () => Promise<void>;
};

export function writeFiles(dir: string, files: Files): void {
  for (const [rel, text] of Object.entries(files)) {
    const file = join(dir, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

export function commitAll(dir: string, files: Files, message = "change"): string {
  writeFiles(dir, files);
  git(dir, ["add", "-A"]);
  git(dir, ["commit", "-q", "--allow-empty", "-m", message]);
  return git(dir, ["rev-parse", "HEAD"]).trim();
}

/**
 * `main` with `base` committed, then `feature` checked out with `change` committed (no commit
 * when change is undefined). With `origin`, the work tree is a clone of a bare repository
 * (origin/HEAD → origin/main), as in CI; otherwise a plain repository with no remote.
 */
export async function verifyRepo(
  base: Files,
  change?: Files,
  options: { origin?: boolean; defaultBranch?: string } = {},
): Promise<VerifyRepo> {
  const root = mkdtempSync(join(osTmp(), "loki-verify-"));
  const branch = options.defaultBranch ?? "main";
  const seed = join(root, options.origin ? "seed" : "work");
  mkdirSync(seed);
  git(seed, ["init", "-q", "-b", branch]);
  const baseSha = commitAll(seed, base, "base");
  let path = seed;
  if (options.origin) {
    git(root, ["clone", "-q", "--bare", seed, "origin.git"]);
    git(root, ["clone", "-q", join(root, "origin.git"), "work"]);
    path = join(root, "work");
  }
  git(path, ["checkout", "-q", "-b", "feature"]);
  if (change !== undefined) commitAll(path, change, "feature change");
  return {
    root,
    path,
    base: baseSha,
    write: (files) => writeFiles(path, files),
    commit: (files, message) => commitAll(path, files, message),
    [Symbol.asyncDispose]: async () => rmSync(root, { recursive: true, force: true }),
  };
}

/** package.json of the Node fixture, its test script `test`. */
const nodePackage = (test: string) =>
  `${JSON.stringify({ name: "fixture", version: "1.0.0", private: true, scripts: { test } }, null, 2)}\n`;

/**
 * A Node project whose node:test suite passes only once sum() adds. Its tests run with `bun test`
 * (about a fifth of node --test's CPU per run); tests about node's own runner add NODE_TEST_RUNNER.
 */
export const NODE_PROJECT: Files = {
  "package.json": nodePackage("bun test"),
  "test/sum.test.js":
    'const test = require("node:test");\nconst assert = require("node:assert");\nconst { sum } = require("../sum.js");\ntest("adds", () => assert.equal(sum(2, 3), 5));\ntest("zero", () => assert.equal(sum(0, 0), 0));\n',
  "sum.js": "exports.sum = () => 0;\n",
};
/** NODE_PROJECT's tests run by `node --test` itself. */
export const NODE_TEST_RUNNER: Files = { "package.json": nodePackage("node --test") };
export const NODE_FIX: Files = { "sum.js": "exports.sum = (a, b) => a + b;\n" };
export const NODE_BREAK: Files = { "sum.js": "exports.sum = (a, b) => a * b;\n" };

// Built at run time so no file holds a literal key for a secret scanner to trip on.
export const FAKE_AWS_KEY = ["AKIA", "Q3LOKIF4", "KEZX2W7Y"].join("");
export const FAKE_GITHUB_TOKEN = ["ghp_", "LokiFake0UuygP7IR60", "AO4EdL7As93BKNTD6"].join("");

/** `loki verify --json …` that must grade (exit 0–2): the exit code and the parsed evidence. */
export async function verifyJson(cwd: string, args: string[] = []): Promise<{ code: number; evidence: Evidence }> {
  const result = await loki(["verify", "--json", ...args], { cwd });
  if (result.code === 3) throw new Error(result.stderr);
  return { code: result.code, evidence: Evidence.parse(result.json()) };
}

export const gateOf = (evidence: Evidence, id: string) => evidence.gates.find((g) => g.id === id);
