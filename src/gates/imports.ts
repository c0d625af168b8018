// What a source file reaches of its repository, read statically for the test_imports gate: the
// modules its imports resolve to (JS/TS, Python, Go) and the files its string literals name (a
// script a test runs). Pure: the repository is a set of paths plus package.json/go.mod facts.
import { posix } from "node:path";
import { callArgs, stringLiterals, withoutCommentLines } from "./source-text.ts";

export type RepoIndex = {
  /** Every file path in the graded tree, relative to its root. */
  files: ReadonlySet<string>;
  /** package.json's `name` and entry points (`.`/`./sub` → path), for a package importing itself by name. */
  pkg: { name: string; entries: Map<string, string> } | null;
  /** go.mod's `module` path. */
  goModule: string | null;
};

/** `import`: a module an import resolves to; `package-dir`: a Go file of the same or an imported package;
 *  `path`: a file a string literal names; `package`: a self-import of a package built elsewhere (path ""). */
export type Reference = { path: string; how: "import" | "package-dir" | "path" | "package" };

const TEST_NAME = /\.(?:test|spec)\.[^/.]+$|_test\.(?:go|py)$|(?:^|\/)test_[^/]*\.py$/;
const DECLARES_TESTS: Record<string, RegExp> = {
  js: /\b(?:test|it|describe|suite|bench)(?:\.\w+)*\s*\(/,
  python: /^\s*(?:async\s+)?def\s+test_|^\s*class\s+Test\w*\b/m,
  go: /^func\s+(?:Test|Benchmark|Fuzz|Example)\w*\s*\(/m,
};

/** A file under a test path is a test when its name says so or it declares tests (else: a helper or fixture). */
export function isTestFile(path: string, text: string, family: string): boolean {
  return TEST_NAME.test(path) || (DECLARES_TESTS[family]?.test(text) ?? false);
}

/** The repository files `text` (the file at `from`, of language `family`) imports or names by path. */
export function referencesOf(from: string, text: string, family: string, repo: RepoIndex): Reference[] {
  const code = withoutCommentLines(text);
  const refs: Reference[] = [];
  const add = (how: Reference["how"], paths: Iterable<string>) => {
    for (const path of paths) if (path !== from) refs.push({ path, how });
  };
  if (family === "js") for (const spec of jsSpecifiers(code)) resolveJs(spec, from, repo, add);
  if (family === "python")
    for (const spec of pySpecifiers(code))
      add(
        "import",
        pyCandidates(spec, from).filter((p) => repo.files.has(p)),
      );
  if (family === "go")
    for (const dir of [posix.dirname(from), ...goPackageDirs(code, repo.goModule)]) add("package-dir", goFilesIn(dir, repo));
  // A specifier is judged as an import above, never as a path: a type-only import names no file it runs.
  add("path", namedPaths(code.replace(ANY_IMPORT, ""), from, repo));
  return refs;
}

// `import type` and `export type` bring no code in; `import { type A, b }` does.
const JS_STATIC = /\b(?:import|export)\s+(?!type\b)(?:[\w*${}\s,]+?\s+from\s*)?["']([^"'\n]+)["']/g;
const JS_CALL = /\b(?:import|require)\s*\(\s*["'`]([^"'`\n]+)["'`]\s*[,)]/g;

const ANY_IMPORT =
  /\b(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s*)?["'][^"'\n]+["']|\b(?:import|require)\s*\(\s*["'`][^"'`\n]+["'`]\s*[,)]/g;

function jsSpecifiers(code: string): string[] {
  return [...code.matchAll(JS_STATIC), ...code.matchAll(JS_CALL)].map((m) => m[1] ?? "");
}

const JS_EXTS = [".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts"];
// TypeScript's rule: `./x.js` in an import names `./x.ts` when that is the source.
const TS_FOR: Record<string, string[]> = { ".js": [".ts", ".tsx"], ".jsx": [".tsx"], ".mjs": [".mts"], ".cjs": [".cts"] };

/** `base` as a bundler or TypeScript resolves it: as is, `.js` → `.ts`, with an extension, or a directory's index. */
function jsCandidates(base: string): string[] {
  const ext = posix.extname(base);
  const out = [base, ...(TS_FOR[ext] ?? []).map((alt) => base.slice(0, -ext.length) + alt)];
  for (const e of JS_EXTS) out.push(base + e, `${base}/index${e}`);
  return out;
}

function resolveJs(spec: string, from: string, repo: RepoIndex, add: (how: Reference["how"], paths: Iterable<string>) => void): void {
  const exists = (base: string | null) => (base === null ? [] : jsCandidates(base).filter((p) => repo.files.has(p)));
  if (spec.startsWith("./") || spec.startsWith("../") || spec === "." || spec === "..") {
    add("import", exists(inRepo(posix.join(posix.dirname(from), spec))));
    return;
  }
  const pkg = repo.pkg;
  if (pkg === null || (spec !== pkg.name && !spec.startsWith(`${pkg.name}/`))) return; // a dependency, not this repository
  const sub = spec === pkg.name ? "." : `.${spec.slice(pkg.name.length)}`;
  const target = entryFor(pkg.entries, sub) ?? (pkg.entries.size === 0 && sub !== "." ? sub : null);
  const found = exists(target === null ? null : inRepo(target));
  // An entry point that is not in the tree is build output (dist/): the package as a whole is what runs.
  if (found.length > 0) add("import", found);
  else if (target !== null) add("package", [""]);
}

/** `exports` subpaths, with one `*` pattern level (`./*` → `./src/*.js`). */
function entryFor(entries: Map<string, string>, sub: string): string | null {
  const exact = entries.get(sub);
  if (exact !== undefined) return exact;
  for (const [key, value] of entries) {
    const star = key.indexOf("*");
    if (star < 0 || !sub.startsWith(key.slice(0, star)) || !sub.endsWith(key.slice(star + 1))) continue;
    return value.replace("*", sub.slice(star, sub.length - (key.length - star - 1)));
  }
  return null;
}

/** package.json's name and entry points: `exports` (a string, subpaths, or conditions) or else `main`. */
export function readPackage(text: string | null): RepoIndex["pkg"] {
  let json: unknown;
  try {
    json = JSON.parse(text ?? "");
  } catch {
    return null;
  }
  if (typeof json !== "object" || json === null || !("name" in json) || typeof json.name !== "string") return null;
  const entries = new Map<string, string>();
  const pick = (value: unknown): string | null => {
    if (typeof value === "string") return value;
    if (typeof value !== "object" || value === null) return null;
    const conditions = value as Record<string, unknown>;
    for (const key of ["bun", "import", "node", "require", "default"]) if (key in conditions) return pick(conditions[key]);
    return null;
  };
  const exports = "exports" in json ? json.exports : undefined;
  const subpaths = typeof exports === "object" && exports !== null && Object.keys(exports).every((k) => k.startsWith("."));
  if (subpaths) for (const [key, value] of Object.entries(exports)) entries.set(key, pick(value) ?? "");
  else if (exports !== undefined) entries.set(".", pick(exports) ?? "");
  else if ("main" in json && typeof json.main === "string") entries.set(".", json.main);
  for (const [key, value] of entries) if (value === "") entries.delete(key);
  return { name: json.name, entries };
}

type PySpec = { module: string; names: string[] };
const noAlias = (part: string) => part.trim().replace(/\s+as\s+\w+$/, "");

function pySpecifiers(code: string): PySpec[] {
  const out: PySpec[] = [];
  for (const [, list] of code.matchAll(/^\s*import\s+([\w., \t]+)$/gm))
    for (const part of (list ?? "").split(",")) out.push({ module: noAlias(part), names: [] });
  for (const [, module, names] of code.matchAll(/^\s*from\s+(\.*[\w.]*)\s+import\s+\(?([\w\s,*]*)/gm))
    out.push({
      module: module ?? "",
      names: (names ?? "")
        .split(",")
        .map(noAlias)
        .filter((n) => /^\w+$/.test(n)),
    });
  // importlib, and `python -m pkg.mod` in an argv list or a command line, name a module in a string.
  const named = /\b(?:import_module|__import__)\s*\(\s*["']([\w.]+)["']|["']-m["']\s*,\s*["']([\w.]+)["']|\bpython3?\s+-m\s+([\w.]+)/g;
  for (const m of code.matchAll(named)) out.push({ module: m[1] ?? m[2] ?? m[3] ?? "", names: [] });
  return out;
}

/** `a.b` from the root, `src/`, or the test's own directory (pytest's rootdir insertion); `.x`/`..x` from the file. */
function pyCandidates({ module, names }: PySpec, from: string): string[] {
  const dots = /^\.*/.exec(module)?.[0].length ?? 0;
  const parts = module.slice(dots).split(".").filter(Boolean);
  let roots = ["", "src", posix.dirname(from)];
  if (dots > 0) {
    let base = posix.dirname(from);
    for (let i = 1; i < dots; i++) base = posix.dirname(base);
    roots = [base];
  }
  const out: string[] = [];
  for (const root of roots) {
    const path = inRepo(posix.join(root === "." ? "" : root, ...parts));
    if (path === null) continue;
    const stem = path === "." ? "" : `${path}/`;
    if (parts.length > 0) out.push(`${path}.py`);
    out.push(`${stem}__init__.py`, ...names.flatMap((n) => [`${stem}${n}.py`, `${stem}${n}/__init__.py`]));
  }
  return out;
}

/** Directories of this module's packages a Go file imports (`module/sub` → `sub`). */
function goPackageDirs(code: string, goModule: string | null): string[] {
  if (goModule === null) return [];
  const blocks = [...code.matchAll(/\bimport\s*\(([^)]*)\)/g)].map((m) => m[1] ?? "");
  const singles = [...code.matchAll(/\bimport\s+(?:[\w.]+\s+)?("[^"]+")/g)].map((m) => m[1] ?? "");
  const paths = [...blocks, ...singles].flatMap((text) => [...text.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? ""));
  return paths
    .filter((p) => p === goModule || p.startsWith(`${goModule}/`))
    .map((p) => (p === goModule ? "." : p.slice(goModule.length + 1)));
}

function goFilesIn(dir: string, repo: RepoIndex): string[] {
  const prefix = dir === "." || dir === "" ? "" : `${dir}/`;
  return [...repo.files].filter((f) => f.startsWith(prefix) && !f.slice(prefix.length).includes("/") && /(?<!_test)\.go$/.test(f));
}

const HERE =
  /^(?:__dirname|import\.meta\.dirname|import\.meta\.dir|(?:os\.path\.)?dirname\(\s*__file__\s*\)|Path\(\s*__file__\s*\)\.parent)$/;

/**
 * Files named by a string literal — as is, relative to the file, or word by word inside a command
 * line (`"node src/cli.js"`) — or by `join(__dirname, "..", "src", "cli.js")`-style calls.
 */
function namedPaths(code: string, from: string, repo: RepoIndex): string[] {
  const found = new Set<string>();
  const consider = (path: string | null) => {
    if (path !== null && repo.files.has(path)) found.add(path);
  };
  for (const literal of stringLiterals(code)) {
    for (const word of literal.split(/[\s=]+/)) {
      if (word === "" || word.startsWith("/") || word.includes("${")) continue;
      consider(inRepo(word));
      consider(inRepo(posix.join(posix.dirname(from), word)));
    }
  }
  for (const m of code.matchAll(/\b(?:join|resolve)\s*\(/g)) {
    const args = callArgs(code, m.index + m[0].length - 1).args;
    const here = HERE.test(args[0] ?? "");
    const parts = args.slice(here ? 1 : 0).map((a) => /^["'`]([^"'`$]*)["'`]$/.exec(a)?.[1] ?? null);
    const literal = parts.filter((p) => p !== null);
    if (literal.length === 0) continue;
    consider(inRepo(posix.join(here ? posix.dirname(from) : ".", ...literal)));
    consider(inRepo(posix.join(...literal)));
  }
  return [...found];
}

/** A repository-relative, normalized path; null when it leaves the repository. */
function inRepo(path: string): string | null {
  const normal = posix.normalize(path).replace(/^\.\//, "").replace(/\/$/, "");
  return normal.startsWith("../") || normal === ".." || posix.isAbsolute(normal) ? null : normal;
}
