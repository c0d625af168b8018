// The JavaScript rules: package.json (read leniently: a broken one is a finding, never a throw), the
// framework table (each dev server run directly on loki's port, bound to 127.0.0.1), the package's
// dev/start script through the lockfile's package manager, and Bun.serve or plain node entry files.
import { PORT_TOKEN } from "../core/app-schema.ts";
import { messageOf } from "../core/errors.ts";
import {
  type Found,
  firstMatch,
  found,
  isFile,
  LOCALHOST,
  literalPort,
  type Matched,
  missed,
  type Rule,
  readText,
  type Trail,
  type Tree,
} from "./detect-other.ts";

type Pkg = { scripts: Record<string, string>; deps: Set<string>; entries: string[]; packageManager: string | null };

/** A dev server: `bins` (first = the one to run), the subcommand we run and those a script may spell, its port flags. */
type Tool = { rule: string; dep: string; bins: string[]; sub: string[]; subs: string[]; port: string[]; how?: string };

const VITE_PORT = ["--port", PORT_TOKEN, "--strictPort", "--host", LOCALHOST];
const VITE_CONFIGS = ["ts", "js", "mjs", "mts", "cjs", "cts"].map((ext) => `vite.config.${ext}`);
/** Scripts that start a dev server, in the order they are looked at. */
const DEV_SCRIPTS = ["dev", "start", "develop", "serve"];

const LONG_FLAGS = ["--port", PORT_TOKEN, "--host", LOCALHOST];
const SHORT_FLAGS = ["-p", PORT_TOKEN, "-H", LOCALHOST];

function tool(rule: string, dep: string, bins: string[], sub: string, port: string[], extra: Partial<Tool> = {}): Tool {
  return { rule, dep, bins, sub: sub ? [sub] : [], subs: sub ? [sub] : [], port, ...extra };
}

const NEXT = tool("next", "next", ["next"], "dev", SHORT_FLAGS);
const NUXT = tool("nuxt", "nuxt", ["nuxi", "nuxt"], "dev", LONG_FLAGS);
const ASTRO = tool("astro", "astro", ["astro"], "dev", LONG_FLAGS);
const SVELTEKIT = tool("sveltekit", "@sveltejs/kit", ["vite"], "dev", VITE_PORT, { subs: ["dev", "serve"] });
const REMIX_VITE = tool("remix", "@remix-run/dev", ["vite"], "dev", VITE_PORT, { subs: ["dev", "serve"] });
const REMIX_CLASSIC = tool("remix", "@remix-run/dev", ["remix"], "dev", [], { how: ", whose app server reads PORT from the environment" });
const CRA = tool("create-react-app", "react-scripts", ["react-scripts"], "start", [], {
  how: " with PORT in its environment (it has no port flag; the runner sets BROWSER=none so it opens no browser)",
});
const ANGULAR = tool("angular", "@angular/cli", ["ng"], "serve", LONG_FLAGS);
const GATSBY = tool("gatsby", "gatsby", ["gatsby"], "develop", SHORT_FLAGS);
// `vite` alone is `vite dev`: no subcommand needed, either spelling accepted in a script.
const VITE = tool("vite", "vite", ["vite"], "", VITE_PORT, { subs: ["dev", "serve"] });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readPackage(tree: Tree): { pkg: Pkg | null; why: string; problem: boolean } {
  if (!isFile(tree, "package.json")) return { pkg: null, why: "no package.json", problem: false };
  const text = readText(tree, "package.json");
  if (text === null)
    return { pkg: null, why: "package.json could not be read (it leads outside the project, or is over 512 KB)", problem: true };
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    return { pkg: null, why: `package.json is not valid JSON (${messageOf(error)})`, problem: true };
  }
  if (!isRecord(raw)) return { pkg: null, why: "package.json is not a JSON object", problem: true };
  const scripts = Object.fromEntries(
    Object.entries(isRecord(raw.scripts) ? raw.scripts : {}).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
  const deps = new Set([raw.dependencies, raw.devDependencies].flatMap((d) => (isRecord(d) ? Object.keys(d) : [])));
  const entries = [raw.module, raw.main].filter((v): v is string => typeof v === "string" && v !== "");
  const packageManager = typeof raw.packageManager === "string" ? (raw.packageManager.split("@")[0] ?? null) : null;
  const names = Object.keys(scripts);
  const why = `package.json read: ${names.length > 0 ? `scripts ${names.join(", ")}` : "no scripts"}, ${deps.size} ${deps.size === 1 ? "dependency" : "dependencies"}`;
  return { pkg: { scripts, deps, entries, packageManager }, why, problem: false };
}

/** Relative prefixes from the folder up to the repository root: "", "../", … (a monorepo hoists node_modules and lockfiles). */
function upward(tree: Tree): string[] {
  const depth = tree.rel === "." ? 0 : tree.rel.split("/").length;
  return Array.from({ length: depth + 1 }, (_, i) => "../".repeat(i));
}

function localBin(tree: Tree, bins: string[]): string | null {
  for (const up of upward(tree)) {
    for (const bin of bins) if (isFile(tree, `${up}node_modules/.bin/${bin}`)) return `${up}node_modules/.bin/${bin}`;
  }
  return null;
}

const VALUE_FLAGS = new Set(["--port", "-p", "--host", "-H", "--hostname"]);
const DROPPED_FLAGS = new Set(["--strictPort", "--strict-port", "--open", "-o"]);

/** The flags of the project's own dev script for this tool (its port and host flags dropped: loki sets those). */
function keptArgs(pkg: Pkg, tool: Tool): string[] {
  for (const name of DEV_SCRIPTS) {
    const words = pkg.scripts[name]?.trim().split(/\s+/) ?? [];
    if (!tool.bins.includes(words[0] ?? "")) continue;
    // Shell syntax (&&, quotes, $VARS) makes any reading a guess: keep nothing then.
    if (/[^\w\s@%+=:,./-]/.test(pkg.scripts[name] ?? "")) return [];
    let rest = words.slice(1);
    if (rest[0] !== undefined && !rest[0].startsWith("-")) {
      if (!tool.subs.includes(rest[0])) continue;
      rest = rest.slice(1);
    }
    const kept: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const word = rest[i] ?? "";
      const flag = word.split("=")[0] ?? word;
      if (VALUE_FLAGS.has(flag) && !word.includes("=") && rest[i + 1] !== undefined && !rest[i + 1]?.startsWith("-")) i++;
      else if (!VALUE_FLAGS.has(flag) && !DROPPED_FLAGS.has(flag)) kept.push(word);
    }
    return kept;
  }
  return [];
}

function runTool(tree: Tree, pkg: Pkg, tool: Tool, because: string): Found {
  const bin = localBin(tree, tool.bins);
  const kept = keptArgs(pkg, tool);
  const command = [bin ?? tool.bins[0] ?? tool.rule, ...tool.sub, ...kept, ...tool.port];
  const how = tool.how ?? " on loki's port, bound to 127.0.0.1";
  const keptNote = kept.length > 0 ? `, keeping the dev script's ${kept.join(" ")}` : "";
  const binNote = bin ? "" : ` (node_modules/.bin/${tool.bins[0]} is missing: install the dependencies, or it must be on PATH)`;
  return found(tool.rule, command, `${because}: ${command.slice(0, 1 + tool.sub.length).join(" ")}${how}${keptNote}${binNote}`);
}

function toolRule(pkg: Pkg, tool: Tool): Rule {
  return {
    rule: tool.rule,
    run: (tree) =>
      pkg.deps.has(tool.dep) ? runTool(tree, pkg, tool, `package.json depends on ${tool.dep}`) : missed(`no ${tool.dep} dependency`),
  };
}

function remixRule(pkg: Pkg): Rule {
  return {
    rule: "remix",
    run(tree) {
      if (!pkg.deps.has("@remix-run/dev")) return missed("no @remix-run/dev dependency");
      if (pkg.deps.has("vite") || VITE_CONFIGS.some((f) => isFile(tree, f)))
        return runTool(tree, pkg, REMIX_VITE, "package.json depends on @remix-run/dev with vite");
      return runTool(tree, pkg, REMIX_CLASSIC, "package.json depends on @remix-run/dev (the classic compiler)");
    },
  };
}

/** Vite is also a build or test tool (vitest pulls it in): it counts as the dev server only when something says so. */
function viteRule(pkg: Pkg): Rule {
  return {
    rule: "vite",
    run(tree) {
      if (!pkg.deps.has("vite")) return missed("no vite dependency");
      const script = DEV_SCRIPTS.find((name) => /^vite(\s+(dev|serve)\b|\s+-|\s*$)/.test(pkg.scripts[name]?.trim() ?? ""));
      if (script) return runTool(tree, pkg, VITE, `package.json depends on vite and its ${script} script runs it`);
      const config = VITE_CONFIGS.find((f) => isFile(tree, f));
      if (config && isFile(tree, "index.html"))
        return runTool(tree, pkg, VITE, `package.json depends on vite, with ${config} and an index.html`);
      return missed(
        "vite is a dependency, but no dev/start script runs it and there is no vite.config with an index.html (a build- or test-only use)",
      );
    },
  };
}

/** The framework table, in order: the more specific framework before the vite it is built on. */
const FRAMEWORKS: (Tool | ((pkg: Pkg) => Rule))[] = [NEXT, NUXT, ASTRO, SVELTEKIT, remixRule, CRA, ANGULAR, GATSBY, viteRule];

/** A script that starts every workspace package, or only rebuilds: not one app to preview. */
const WORKSPACE_RUNNER =
  /\b(turbo|nx|lerna)\b|(?:^|\s)(?:-r|--recursive|--filter|-F|--workspaces?|-ws)(?:[\s=]|$)|\bworkspaces\s+(?:foreach|run)\b/;
const WATCHERS = new Set(["tsc", "tsup", "tsdown", "rollup", "babel", "esbuild", "swc", "unbuild", "microbundle", "vitest", "jest"]);
const LOCKFILES: [string, string][] = [
  ["bun.lock", "bun"],
  ["bun.lockb", "bun"],
  ["pnpm-lock.yaml", "pnpm"],
  ["yarn.lock", "yarn"],
  ["package-lock.json", "npm"],
];
const SERVER_DEPS: [string, string][] = [
  ["express", "express"],
  ["fastify", "fastify"],
  ["hono", "hono"],
  ["koa", "koa"],
  ["@nestjs/core", "nest"],
  ["@hapi/hapi", "hapi"],
];
const READS_PORT = /env\.PORT\b|env\[\s*["']PORT["']\s*\]/;

function packageManager(tree: Tree, pkg: Pkg): { name: string; why: string } {
  for (const up of upward(tree)) {
    const hit = LOCKFILES.find(([file]) => isFile(tree, `${up}${file}`));
    if (hit) return { name: hit[1], why: `${up}${hit[0]}` };
  }
  const named = ["bun", "pnpm", "yarn", "npm"].find((pm) => pm === pkg.packageManager);
  return named ? { name: named, why: `packageManager in package.json` } : { name: "npm", why: "no lockfile names another" };
}

/** A port the script or its entry file hard-codes (`--port 4000`, `PORT=4000`, `.listen(3000)`), when plain to see. */
function scriptPort(tree: Tree, pkg: Pkg, script: string): number | null {
  const inScript = literalPort(script, /(?:(?:^|\s)(?:--port|-p)[=\s]+|\bPORT=)(\d{2,5})\b/, /(?!)/);
  if (inScript !== null) return inScript;
  const words = script.split(/\s+/);
  const entry = words.find((w) => /\.[cm]?[jt]sx?$/.test(w) && isFile(tree, w)) ?? (words.includes(".") ? pkg.entries.at(-1) : undefined);
  return entry ? literalPort(readText(tree, entry) ?? "", /\.listen\(\s*(\d{2,5})\s*[,)]/, READS_PORT) : null;
}

function scriptRule(pkg: Pkg): Rule {
  return {
    rule: "package-script",
    weak: true,
    run(tree) {
      const skipped: string[] = [];
      for (const name of ["dev", "start"]) {
        const script = pkg.scripts[name]?.trim();
        if (!script) continue;
        if (WORKSPACE_RUNNER.test(script)) skipped.push(`the ${name} script (${script}) starts the workspace's packages, not one app`);
        else if (WATCHERS.has(script.split(/\s+/)[0] ?? ""))
          skipped.push(`the ${name} script (${script}) runs a build watcher, not a server`);
        else {
          const pm = packageManager(tree, pkg);
          const framework = SERVER_DEPS.find(([dep]) => pkg.deps.has(dep))?.[1] ?? "node";
          const why = `the package's ${name} script (${script}) through ${pm.name} run (${pm.why})`;
          return found(framework, [pm.name, "run", name], why, scriptPort(tree, pkg, script));
        }
      }
      return missed(skipped.length > 0 ? skipped.join("; ") : "package.json has no dev or start script");
    },
  };
}

function entryRule(rule: string, candidates: string[], pattern: RegExp, run: (entry: string) => string[], portPattern: RegExp): Rule {
  return {
    rule,
    weak: rule === "node",
    run(tree) {
      const files = [...new Set(candidates)];
      const entry = files.find((f) => pattern.test(readText(tree, f) ?? ""));
      if (!entry) return missed(`none of ${files.join(", ")} ${rule === "bun" ? "calls Bun.serve" : "starts an HTTP server"}`);
      const command = run(entry);
      const port = literalPort(readText(tree, entry) ?? "", portPattern, /env\.PORT\b|env\[\s*["']PORT["']\s*\]|BUN_PORT/);
      return found(rule, command, `${entry} ${rule === "bun" ? "calls Bun.serve" : "starts an HTTP server"}: ${command.join(" ")}`, port);
    },
  };
}

function bunRule(pkg: Pkg | null): Rule {
  const candidates = [...(pkg?.entries ?? []), "index.ts", "index.tsx", "src/index.ts", "server.ts", "main.ts"];
  return entryRule("bun", candidates, /\bBun\.serve\(/, (entry) => ["bun", "run", entry], /\bport:\s*(\d{2,5})\s*[,}\n]/);
}

const NODE_ENTRIES = ["server.js", "index.js", "app.js", "main.js", "server.mjs", "index.mjs"];

function nodeRule(pkg: Pkg | null): Rule {
  const candidates = [...(pkg?.entries ?? []).filter((f) => /\.[cm]?js$/.test(f)), ...NODE_ENTRIES];
  return entryRule("node", candidates, /\bcreateServer\(|\.listen\(/, (entry) => ["node", entry], /\.listen\(\s*(\d{2,5})\s*[,)]/);
}

/** The JavaScript rules for one folder, in order; records each in the trail and stops at the first match. */
export function detectNode(tree: Tree, trail: Trail): Matched | null {
  const read = readPackage(tree);
  trail.checked.push({ rule: "package.json", matched: read.pkg !== null, why: read.why });
  if (read.problem) trail.problems.push(read.why);
  const pkg = read.pkg;
  const frameworks = pkg ? FRAMEWORKS.map((f) => (typeof f === "function" ? f(pkg) : toolRule(pkg, f))) : [];
  const rules = [...frameworks, ...(pkg ? [scriptRule(pkg)] : []), bunRule(pkg), nodeRule(pkg)];
  return firstMatch(rules, tree, trail);
}
