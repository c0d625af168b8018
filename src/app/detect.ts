// Decides how to run the project in a working tree, and records why (every rule looked at, in order):
// override, compose file, Dockerfile, framework rules (at the root, else in the one app folder of a
// monorepo), a static index.html, none. Reads no file outside the root, never throws.
// A hand table, not a library: on our 24 shapes @vercel/fs-detectors named 18 (no Bun, Django, Rails,
// plain Python, static or monorepo; 15 MB) and @netlify/build-info 9 (hugo for a config.json; 9.5 MB);
// neither yields an argv with a port flag and 127.0.0.1, which is what the runner needs.
import type { AppDetection } from "../core/app-schema.ts";
import { messageOf } from "../core/errors.ts";
import { detectCompose } from "./compose-file.ts";
import { detectNode } from "./detect-node.ts";
import { firstMatch, isDir, isFile, type Matched, OTHER_RULES, openTree, subdirs, subtree, type Trail, type Tree } from "./detect-other.ts";
import { PYTHON_RULES } from "./detect-python.ts";

export type DetectOptions = {
  /** `app.command` from loki.yaml. */
  override?: string;
  /** The environment: LOKI_APP_COMMAND, when set, is the override. */
  env?: Record<string, string | undefined>;
};

export const OVERRIDE_HINT = `set app.command in loki.yaml or LOKI_APP_COMMAND (e.g. "npm start")`;
const APP_FOLDERS = ["web", "frontend", "client"];
const STATIC_DIRS = [".", "public", "dist", "build", "site"];
/** Bounds the work on a repository with very many packages. */
const MAX_APP_FOLDERS = 64;

type Decision = Omit<AppDetection, "schema_version" | "checked">;

function byOverride(options: DetectOptions, trail: Trail): Decision | null {
  const fromEnv = options.env?.LOKI_APP_COMMAND?.trim();
  const command = fromEnv || options.override?.trim();
  if (!command) {
    trail.checked.push({ rule: "override", matched: false, why: "neither app.command in loki.yaml nor LOKI_APP_COMMAND is set" });
    return null;
  }
  const why = `${fromEnv ? "LOKI_APP_COMMAND" : "app.command in loki.yaml"} says how to run it: ${command}`;
  trail.checked.push({ rule: "override", matched: true, why });
  return { kind: "override", framework: "override", command: ["sh", "-c", command], cwd: ".", fixed_port: null, reason: why };
}

function byCompose(tree: Tree, env: DetectOptions["env"], trail: Trail): Decision | null {
  let result: ReturnType<typeof detectCompose>;
  try {
    result = detectCompose(tree.root, env);
  } catch (error) {
    result = { problem: `the compose file could not be read (${messageOf(error)})` };
  }
  if (result === null) {
    trail.checked.push({ rule: "compose", matched: false, why: "no compose file at the root" });
    return null;
  }
  if ("problem" in result) {
    // The project says it runs as a compose stack: guessing another way would run the wrong thing.
    trail.checked.push({ rule: "compose", matched: false, why: result.problem });
    return {
      kind: "none",
      framework: null,
      command: null,
      cwd: ".",
      fixed_port: null,
      reason: `${result.problem}; fix the compose file or ${OVERRIDE_HINT}`,
    };
  }
  const { choice } = result;
  const why = `${choice.file} defines the stack; its web service is ${choice.primary} (${choice.primary_why.replace(/\.$/, "")})`;
  trail.checked.push({ rule: "compose", matched: true, why });
  return { kind: "compose", framework: "compose", command: null, cwd: ".", fixed_port: null, reason: why, compose: choice };
}

function byDockerfile(tree: Tree, trail: Trail): Decision | null {
  const file = ["Dockerfile", "Containerfile"].find((name) => isFile(tree, name));
  if (!file) {
    trail.checked.push({ rule: "dockerfile", matched: false, why: "no Dockerfile or Containerfile at the root" });
    return null;
  }
  const why = `a ${file} at the root (and no compose file): the app runs as the image it builds`;
  trail.checked.push({ rule: "dockerfile", matched: true, why });
  return { kind: "dockerfile", framework: "dockerfile", command: null, cwd: ".", fixed_port: null, reason: why };
}

/** The framework rules for one folder: JavaScript, then Python, then Rails, Go, Rust. */
function frameworkIn(tree: Tree, trail: Trail): Matched | null {
  return detectNode(tree, trail) ?? firstMatch(PYTHON_RULES, tree, trail) ?? firstMatch(OTHER_RULES, tree, trail);
}

function fromMatch(match: Matched, cwd: string): Decision {
  const reason = cwd === "." ? match.why : `${cwd}: ${match.why}`;
  return { kind: "framework", framework: match.framework, command: match.command, cwd, fixed_port: match.fixed_port, reason };
}

/** A monorepo with no app at its root: the one app folder that matches (a framework match beats a bare script). */
function byAppFolder(tree: Tree, trail: Trail): Decision | null {
  const folders = [
    ...subdirs(tree, "apps").map((d) => `apps/${d}`),
    ...subdirs(tree, "packages").map((d) => `packages/${d}`),
    ...APP_FOLDERS.filter((d) => isDir(tree, d)),
  ].slice(0, MAX_APP_FOLDERS);
  if (folders.length === 0) {
    trail.checked.push({ rule: "monorepo", matched: false, why: "no apps/*, packages/*, web/, frontend/ or client/ folder" });
    return null;
  }
  const hits: { dir: string; match: Matched }[] = [];
  for (const dir of folders) {
    const match = frameworkIn(subtree(tree, dir), { checked: [], problems: [] });
    trail.checked.push({
      rule: `monorepo:${dir}`,
      matched: match !== null,
      why: match ? `${match.rule}: ${match.why}` : "no rule matched",
    });
    if (match) hits.push({ dir, match });
  }
  const strong = hits.filter((h) => !h.match.weak);
  const pick = hits.length === 1 ? hits[0] : strong.length === 1 ? strong[0] : undefined;
  if (!pick) {
    const why =
      hits.length === 0
        ? `no rule matched in ${folders.join(", ")}`
        : `several app folders could run (${hits.map((h) => `${h.dir}: ${h.match.rule}`).join(", ")})`;
    trail.checked.push({ rule: "monorepo", matched: false, why });
    if (hits.length > 0) trail.problems.push(why);
    return null;
  }
  const why = `${pick.dir} is the one app folder that ${hits.length === 1 ? "matches a rule" : "matches a framework rule"}`;
  trail.checked.push({ rule: "monorepo", matched: true, why });
  return fromMatch(pick.match, pick.dir);
}

function byFramework(tree: Tree, trail: Trail): Decision | null {
  const match = frameworkIn(tree, trail);
  return match ? fromMatch(match, ".") : byAppFolder(tree, trail);
}

function byStaticSite(tree: Tree, trail: Trail): Decision | null {
  const dir = STATIC_DIRS.find((d) => isFile(tree, `${d}/index.html`));
  if (dir === undefined) {
    trail.checked.push({ rule: "static", matched: false, why: "no index.html at the root or in public/, dist/, build/, site/" });
    return null;
  }
  const why = `${dir === "." ? "" : `${dir}/`}index.html: served as a static site`;
  trail.checked.push({ rule: "static", matched: true, why });
  return { kind: "static", framework: "static", command: null, cwd: dir, fixed_port: null, reason: why };
}

function nothingFound(trail: Trail): Decision {
  const problems = trail.problems.length > 0 ? ` (${trail.problems.join("; ")})` : "";
  const looked =
    "looked for an override, a compose file, a Dockerfile, a known framework (Node, Python, Rails, Go, Rust; also in apps/*, packages/*, web/, frontend/, client/) and an index.html";
  return {
    kind: "none",
    framework: null,
    command: null,
    cwd: ".",
    fixed_port: null,
    reason: `No way to run this project was found${problems}: ${looked}; ${OVERRIDE_HINT}.`,
  };
}

/** How to run the project at `root`, and why; the first rule that matches wins. */
export function detectApp(root: string, options: DetectOptions = {}): AppDetection {
  const trail: Trail = { checked: [], problems: [] };
  const tree = openTree(root);
  const decision =
    byOverride(options, trail) ??
    byCompose(tree, options.env, trail) ??
    byDockerfile(tree, trail) ??
    byFramework(tree, trail) ??
    byStaticSite(tree, trail) ??
    nothingFound(trail);
  return { schema_version: 1, ...decision, checked: trail.checked };
}
