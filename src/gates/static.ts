// Gate "static": the project's lint command; else the linters the repo configures and has
// installed (tsc, eslint, ruff, go vet, clippy); else a built-in syntax check of the changed files.
// The reason always names what ran, and a configured tool that is missing is said, never skipped.
import { existsSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import type { ParseError } from "jsonc-parser";
import { messageOf } from "../core/errors.ts";
import { run, whichBinary, type ExecResult } from "../core/exec.ts";
import type { Finding } from "../core/schema.ts";
import { readEachSubjectFile } from "./diff.ts";
import { fingerprint, type ChangedFile, type Gate, type GateContext, type GateOutcome, type Subject, projectArgv } from "./gate.ts";

type Tool = { name: string; argv: string[] };
type Ran = { tool: Tool; result: ExecResult };

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const MAX_FINDINGS = 50;
const ESLINT_CONFIGS = [
  "eslint.config.js",
  "eslint.config.mjs",
  "eslint.config.cjs",
  "eslint.config.ts",
  "eslint.config.mts",
  "eslint.config.cts",
  ".eslintrc",
  ".eslintrc.js",
  ".eslintrc.cjs",
  ".eslintrc.json",
  ".eslintrc.yml",
  ".eslintrc.yaml",
];
const LOADERS: Record<string, "jsx" | "ts" | "tsx"> = {
  ".js": "jsx",
  ".mjs": "jsx",
  ".cjs": "jsx",
  ".jsx": "jsx",
  ".ts": "ts",
  ".mts": "ts",
  ".cts": "ts",
  ".tsx": "tsx",
};

export const staticGate: Gate = {
  id: "static",
  title: "Static checks",
  when: () => true,
  run: async ({ subject, project, signal, confine }) => {
    const live = subject.files.filter((f) => f.status !== "deleted" && !f.binary);
    if (project.lint !== null) {
      const tool = { name: `\`${project.lint.argv.join(" ")}\``, argv: project.lint.argv };
      return grade([await runTool(tool, subject.root, { signal, confine })], subject.root, [project.lint.source]);
    }
    const { tools, missing } = planTools(subject.root, live);
    const notRun = missing.length > 0 ? [`not run: ${missing.join(", ")}`] : [];
    if (tools.length > 0)
      return grade(await Promise.all(tools.map((tool) => runTool(tool, subject.root, { signal, confine }))), subject.root, notRun);
    return builtInCheck(subject, live, missing);
  },
};

/** Tools the repository configures, split into those installed and those it lacks. */
export function planTools(root: string, live: readonly ChangedFile[]): { tools: Tool[]; missing: string[] } {
  const has = (rel: string) => existsSync(join(root, rel));
  const localBin = join(root, "node_modules", ".bin");
  // `./` keeps a file named like an option from being read as one.
  const changed = (pattern: RegExp) => live.filter((f) => pattern.test(f.path)).map((f) => `./${f.path}`);
  const tools: Tool[] = [];
  const missing: string[] = [];
  const add = (name: string, bin: string | null, argv: string[], why: string) => {
    if (bin !== null) tools.push({ name, argv: [bin, ...argv] });
    else missing.push(`${name} (${why})`);
  };
  // A global tsc of another major version reports errors the project's own tsc does not.
  if (has("tsconfig.json"))
    add("tsc", Bun.which("tsc", { PATH: localBin }), ["--noEmit", "-p", "."], "tsconfig.json present, tsc not in node_modules/.bin");
  const js = changed(/\.[cm]?[jt]sx?$/);
  if (js.length > 0 && (ESLINT_CONFIGS.some(has) || /"eslintConfig"\s*:/.test(readText(join(root, "package.json"))))) {
    add("eslint", Bun.which("eslint", { PATH: localBin }) ?? whichBinary("eslint"), js, "eslint config present, eslint not installed");
  }
  const py = changed(/\.pyi?$/);
  if (py.length > 0 && (has("ruff.toml") || has(".ruff.toml") || /^\[tool\.ruff\b/m.test(readText(join(root, "pyproject.toml")))))
    add("ruff", whichBinary("ruff"), ["check", ...py], "ruff config present, ruff not on PATH");
  if (has("go.mod")) add("go vet", whichBinary("go"), ["vet", "./..."], "go.mod present, go not on PATH");
  if (has("Cargo.toml"))
    add(
      "cargo clippy",
      whichBinary("cargo-clippy") && whichBinary("cargo"),
      ["clippy", "--quiet"],
      "Cargo.toml present, clippy not installed",
    );
  return { tools, missing };
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

async function runTool(tool: Tool, cwd: string, { signal, confine }: Pick<GateContext, "signal" | "confine">): Promise<Ran> {
  const raw = Number(process.env.LOKI_LINT_TIMEOUT_MS);
  const timeoutMs = Number.isFinite(raw) && raw > 0 ? raw : DEFAULT_TIMEOUT_MS;
  return { tool, result: await run(await projectArgv({ confine }, tool.argv, cwd), { cwd, timeoutMs, env: { CI: "true" }, signal }) };
}

/** fail if any tool failed; else inconclusive if any could not run to the end; else pass. */
function grade(ran: Ran[], root: string, notes: string[]): GateOutcome {
  const suffix = notes.length > 0 ? ` (${notes.join("; ")})` : "";
  const details = {
    tools: ran.map(({ tool, result }) => ({ name: tool.name, exit_code: result.exitCode, duration_ms: result.durationMs })),
    notes,
  };
  const stuck = ran.filter(
    ({ result }) => result.spawnError !== null || result.timedOut || result.exitCode === 127 || result.exitCode === null,
  );
  const failed = ran.filter((r) => !stuck.includes(r) && r.result.exitCode !== 0);
  if (failed.length > 0) {
    const findings = failed.flatMap(({ tool, result }) => toolFindings(tool, result, root));
    const digest = failed.map(({ tool, result }) => `${tool.name}:\n${result.digest}`).join("\n");
    const others = ran
      .filter((r) => !failed.includes(r))
      .map(({ tool }) => `${tool.name} ${stuck.some((s) => s.tool === tool) ? "did not finish" : "passed"}`);
    const summary = [...failed.map(({ tool, result }) => `${tool.name} failed (exit ${result.exitCode})`), ...others].join(", ");
    return { status: "fail", reason: `${summary}${suffix}`, findings, digest, details };
  }
  const first = stuck[0];
  if (first !== undefined) {
    const { tool, result } = first;
    const why = result.timedOut
      ? "timed out (raise LOKI_LINT_TIMEOUT_MS)"
      : result.spawnError !== null
        ? `could not start: ${result.spawnError}`
        : result.exitCode === 127
          ? `could not find its tool: ${result.digest.split("\n")[0] ?? ""}`
          : `killed by ${result.signal}`;
    return { status: "inconclusive", reason: `${tool.name} ${why}${suffix}`, findings: [], digest: result.digest, details };
  }
  return { status: "pass", reason: `${ran.map(({ tool }) => tool.name).join(", ")} passed${suffix}`, findings: [], details };
}

/** Locations the common formats print (tsc `f(l,c)`, `f:l:c`, eslint's stylish blocks), capped. */
export function toolFindings(tool: Tool, result: Pick<ExecResult, "stdout" | "stderr" | "exitCode">, root: string): Finding[] {
  const rule = `lint:${tool.name.replace(/`/g, "")}`;
  // Tools print absolute paths or `./`-relative ones; findings name repository paths.
  const relative = (file: string) => (file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file.replace(/^\.\//, ""));
  const findings: Finding[] = [];
  let current: string | null = null;
  for (const raw of `${result.stdout}\n${result.stderr}`.split("\n")) {
    const line = raw.replace(/\x1b\[[0-9;]*m/g, "").trimEnd();
    const hit =
      /^(\S[^(:\s]*)\((\d+),\d+\): (?:error|warning)\s*(.*)$/.exec(line) ?? /^(?:\.\/)?([^\s:][^:]*):(\d+):(?:\d+:)?\s*(.+)$/.exec(line);
    const stylish = current !== null ? /^\s+(\d+):\d+\s+error\s+(.*)$/.exec(line) : null;
    if (hit) findings.push(finding(rule, relative(hit[1] ?? ""), Number(hit[2]), hit[3] ?? "", "medium"));
    else if (stylish && current !== null) findings.push(finding(rule, relative(current), Number(stylish[1]), stylish[2] ?? "", "medium"));
    else if (/^\S/.test(line)) current = /^(?:\/|\.\/)?[\w./@-]+\.\w+$/.test(line) ? line : null;
    if (findings.length >= MAX_FINDINGS) break;
  }
  if (findings.length > 0) return findings;
  return [
    {
      severity: "medium",
      message: `${tool.name} failed (exit ${result.exitCode})`,
      rule,
      fingerprint: fingerprint(rule, undefined, tool.argv.join(" ")),
    },
  ];
}

function finding(rule: string, file: string, line: number, message: string, severity: Finding["severity"]): Finding {
  const text = message.trim() || "error";
  return {
    severity,
    file,
    ...(line > 0 ? { line } : {}),
    message: `${file}:${line}: ${text}`,
    rule,
    fingerprint: fingerprint(rule, file, text),
  };
}

async function builtInCheck(subject: Subject, live: ChangedFile[], missing: string[]): Promise<GateOutcome> {
  const why =
    missing.length > 0 ? `built-in syntax check (not installed: ${missing.join(", ")})` : "built-in syntax check (no linter configured)";
  const paths = live.filter((f) => checkable(f.path)).map((f) => f.path);
  const details = { checked: paths.length, missing };
  if (paths.length === 0) return { status: "pass", reason: `nothing to check — ${why}`, findings: [], details };
  const findings: Finding[] = [];
  const unread: string[] = [];
  // Every changed file may be checked: read a batch at a time, so a 10,000-file change is never held whole.
  await readEachSubjectFile(subject, paths, (path, text) => {
    if (text === null) return void unread.push(path);
    const error = syntaxError(path, text);
    if (error) findings.push(finding("syntax", path, error.line, error.message, "high"));
  });
  const read = `${paths.length - unread.length} file${paths.length - unread.length === 1 ? "" : "s"}`;
  if (findings.length > 0)
    return {
      status: "fail",
      reason: `${findings.length} syntax error${findings.length === 1 ? "" : "s"}: ${findings[0]?.message} — ${why}`,
      findings,
      details,
    };
  if (unread.length > 0)
    return {
      status: "inconclusive",
      reason: `could not read ${unread[0]}${unread.length > 1 ? ` (+${unread.length - 1} more)` : ""} — ${why}`,
      findings: [],
      details,
    };
  return { status: "pass", reason: `${read} parsed — ${why}`, findings: [], details };
}

function checkable(path: string): boolean {
  return /\.(?:jsonc?|ya?ml)$/.test(path) || LOADERS[extname(path)] !== undefined;
}

/** The first syntax error in a file, or null. Pure apart from Bun's transpiler. */
export function syntaxError(path: string, text: string): { line: number; message: string } | null {
  if (/\.jsonc?$/.test(path)) {
    // tsconfig, jsconfig and editor settings are JSONC by convention: comments are not errors there.
    const lenient =
      /\.jsonc$|(?:^|\/)(?:[tj]sconfig[\w.-]*\.json|\.eslintrc\.json|turbo\.json|\.vscode\/.*|\.devcontainer\/.*|devcontainer\.json)$/.test(
        path,
      );
    const errors: ParseError[] = [];
    // The ES module build: the package's main is a UMD file whose own requires a bundle cannot follow.
    const { parse: parseJsonc, printParseErrorCode } = require("jsonc-parser/lib/esm/main.js") as typeof import("jsonc-parser");
    parseJsonc(text, errors, { disallowComments: !lenient, allowTrailingComma: lenient, allowEmptyContent: false });
    const first = errors[0];
    return first ? { line: lineAt(text, first.offset), message: `invalid JSON: ${printParseErrorCode(first.error)}` } : null;
  }
  if (/\.ya?ml$/.test(path)) {
    const { parseAllDocuments } = require("yaml") as typeof import("yaml");
    const docs = parseAllDocuments(text);
    for (const doc of Array.isArray(docs) ? docs : []) {
      const first = doc.errors[0];
      if (first)
        return {
          line: first.linePos?.[0].line ?? 1,
          message: `invalid YAML: ${first.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "")}`,
        };
    }
    return null;
  }
  const loader = LOADERS[extname(path)];
  if (loader === undefined) return null;
  try {
    transpilerFor(loader).scan(text);
    return null;
  } catch (error) {
    const position = typeof error === "object" && error !== null && "position" in error ? error.position : null;
    const line =
      typeof position === "object" && position !== null && "line" in position && typeof position.line === "number" ? position.line : 1;
    // Bun's BuildMessage is not an Error, and its String() carries a "BuildMessage: " prefix.
    const message =
      typeof error === "object" && error !== null && "message" in error && typeof error.message === "string"
        ? error.message
        : messageOf(error);
    return { line, message: `syntax error: ${message}` };
  }
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

// One transpiler per loader: creating one per file costs ~50 KB each on a 1,000-file diff.
const transpilers = new Map<string, Bun.Transpiler>();
function transpilerFor(loader: "js" | "jsx" | "ts" | "tsx"): Bun.Transpiler {
  let transpiler = transpilers.get(loader);
  if (!transpiler) {
    transpiler = new Bun.Transpiler({ loader });
    transpilers.set(loader, transpiler);
  }
  return transpiler;
}
