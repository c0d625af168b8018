// What every detection rule stands on: reading a working tree safely (regular files inside the root,
// bounded, never throwing, never blocking on a FIFO) and the rule record; plus the rules for the
// ecosystems with one obvious way to run (Rails, Go, Rust).
import { readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { type DetectionCheck, PORT_TOKEN } from "../core/app-schema.ts";

/** A folder of the project: `rel` is relative to the repository root ("." for the root itself). */
export type Tree = { root: string; rel: string; dir: string };
export type Found = { matched: true; framework: string; command: string[]; fixed_port: number | null; why: string };
export type Missed = { matched: false; why: string };
export type Verdict = Found | Missed;
/** A weak rule (a package script, a bare entry file) loses to a strong one when several monorepo folders match. */
export type Rule = { rule: string; weak?: boolean; run: (tree: Tree) => Verdict };
export type Matched = Found & { rule: string; weak: boolean };
/** What the rules leave behind: every check in order, and the problems a "none" must name. */
export type Trail = { checked: DetectionCheck[]; problems: string[] };

export const LOCALHOST = "127.0.0.1";
const MAX_BYTES = 512 * 1024;

export function openTree(root: string): Tree {
  let real = resolve(root);
  try {
    real = realpathSync(real);
  } catch {
    // A missing root is odd input: every rule then finds nothing.
  }
  return { root: real, rel: ".", dir: real };
}

export function subtree(tree: Tree, rel: string): Tree {
  return { root: tree.root, rel, dir: join(tree.root, rel) };
}

function statOf(tree: Tree, path: string) {
  try {
    return statSync(join(tree.dir, path));
  } catch {
    return null;
  }
}

export function isFile(tree: Tree, path: string): boolean {
  return statOf(tree, path)?.isFile() ?? false;
}

export function isDir(tree: Tree, path: string): boolean {
  return statOf(tree, path)?.isDirectory() ?? false;
}

/** A regular file's text, when it lies inside the root (after symlinks) and is at most 512 KB; null otherwise. */
export function readText(tree: Tree, path: string): string | null {
  try {
    const real = realpathSync(join(tree.dir, path));
    if (!real.startsWith(tree.root + sep)) return null;
    const stat = statSync(real);
    if (!stat.isFile() || stat.size > MAX_BYTES) return null;
    return readFileSync(real, "utf8");
  } catch {
    return null;
  }
}

/** Sub-folders of `path`, sorted, without hidden ones and node_modules. */
export function subdirs(tree: Tree, path: string): string[] {
  try {
    return readdirSync(join(tree.dir, path), { withFileTypes: true })
      .filter(
        (e) =>
          !e.name.startsWith(".") &&
          e.name !== "node_modules" &&
          (e.isDirectory() || (e.isSymbolicLink() && isDir(tree, join(path, e.name)))),
      )
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/** Files directly in `path` whose names end with `suffix`, sorted. */
export function filesEndingWith(tree: Tree, path: string, suffix: string): string[] {
  try {
    return readdirSync(join(tree.dir, path))
      .filter((name) => name.endsWith(suffix) && isFile(tree, join(path, name)))
      .sort();
  } catch {
    return [];
  }
}

export function found(framework: string, command: string[], why: string, fixed_port: number | null = null): Found {
  return { matched: true, framework, command, fixed_port, why };
}

export function missed(why: string): Missed {
  return { matched: false, why };
}

/** The first capture of `pattern` in `text` as a TCP port, unless `text` also reads PORT from the environment. */
export function literalPort(text: string, pattern: RegExp, readsEnv: RegExp): number | null {
  if (readsEnv.test(text)) return null;
  const port = Number(pattern.exec(text)?.[1]);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
}

/** Runs `rules` in order, records each in the trail, and stops at the first that matches. */
export function firstMatch(rules: Rule[], tree: Tree, trail: Trail): Matched | null {
  for (const rule of rules) {
    const verdict = rule.run(tree);
    trail.checked.push({ rule: rule.rule, matched: verdict.matched, why: verdict.why });
    if (verdict.matched) return { ...verdict, rule: rule.rule, weak: rule.weak ?? false };
  }
  return null;
}

const rails: Rule = {
  rule: "rails",
  run(tree) {
    if (!isFile(tree, "bin/rails")) return missed("no bin/rails");
    return found(
      "rails",
      ["bin/rails", "server", "-p", PORT_TOKEN, "-b", LOCALHOST],
      "bin/rails is a Rails app's launcher: its server on loki's port, bound to 127.0.0.1",
    );
  },
};

const go: Rule = {
  rule: "go",
  run(tree) {
    if (!isFile(tree, "go.mod")) return missed("no go.mod");
    const mains = filesEndingWith(tree, ".", ".go").filter((f) => /^package main\b/m.test(readText(tree, f) ?? ""));
    if (mains.length > 0) {
      const text = mains.map((f) => readText(tree, f) ?? "").join("\n");
      const port = literalPort(text, /ListenAndServe(?:TLS)?\(\s*"[^"]*:(\d{2,5})"/, /Getenv\("PORT"\)|LookupEnv\("PORT"\)/);
      return found("go", ["go", "run", "."], `go.mod with package main in ${mains.join(", ")}: go run .`, port);
    }
    const cmds = subdirs(tree, "cmd").filter((d) => isFile(tree, `cmd/${d}/main.go`));
    if (cmds.length === 1)
      return found("go", ["go", "run", `./cmd/${cmds[0]}`], `go.mod, and cmd/${cmds[0]} is the one main package: go run ./cmd/${cmds[0]}`);
    if (cmds.length > 1) return missed(`go.mod, but several main packages (cmd/${cmds.join(", cmd/")}) and none at the root`);
    return missed("go.mod, but no package main at the root or in cmd/*");
  },
};

const rust: Rule = {
  rule: "rust",
  run(tree) {
    const manifest = readText(tree, "Cargo.toml");
    if (manifest === null) return missed("no Cargo.toml");
    if (!/^\s*\[package\]/m.test(manifest)) return missed("Cargo.toml has no [package] (a workspace root runs no binary by itself)");
    const bins = (manifest.match(/^\s*\[\[bin\]\]/gm) ?? []).length + (isFile(tree, "src/main.rs") ? 1 : 0);
    if (bins === 0) return missed("Cargo.toml, but no src/main.rs and no [[bin]]: a library");
    if (bins > 1 && !/^\s*default-run\s*=/m.test(manifest))
      return missed("Cargo.toml has several binaries and no default-run, so cargo run cannot choose");
    const port = literalPort(readText(tree, "src/main.rs") ?? "", /bind\(\s*"[^"]*:(\d{2,5})"/, /var\("PORT"\)/);
    return found("rust", ["cargo", "run", "--quiet"], "Cargo.toml with a binary: cargo run --quiet", port);
  },
};

export const OTHER_RULES: Rule[] = [rails, go, rust];
