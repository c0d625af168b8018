// Enforces DESIGN §2's import rules between src/ folders, that no module import cycle exists, and that no
// Bun.spawn in src/ goes without an explicit env (it would not see variables loki removed, e.g. LOKI_MCP_TOKEN).
// The checker itself is tested on synthetic graphs, so a broken checker cannot pass silently.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "..", "src");

/** layer → layers it may import. `data` (JSON tables) is importable by all. */
const BELOW_LOOP = ["core", "sandbox", "spec", "plan", "providers", "gates", "forge", "memory", "app", "review", "verify", "proof"];
const ALLOWED: Record<string, string[]> = {
  core: [],
  data: [],
  sandbox: ["core"],
  plan: ["core"],
  memory: ["core"],
  providers: ["core"],
  gates: ["core"],
  forge: ["core"],
  app: ["core"],
  spec: ["core", "forge"],
  review: ["core", "spec", "gates", "providers", "sandbox"],
  verify: ["core", "spec", "gates", "providers", "sandbox"],
  proof: ["core", "spec", "gates", "providers", "sandbox"],
  loop: BELOW_LOOP,
  run: [...BELOW_LOOP, "loop"],
  deliver: [...BELOW_LOOP, "loop", "run"],
  dashboard: ["core"],
  // Its tools call loki's own commands as child processes; it reads run status (run/status.ts), seals
  // events as the dashboard's stream does (dashboard/stream-seal.ts) and reads git remotes as spec/ does.
  mcp: ["core", "spec", "run", "dashboard"],
  commands: [...BELOW_LOOP, "loop", "run", "deliver", "dashboard", "mcp"],
  program: ["core", "commands"],
  cli: ["core", "commands", "program"],
};

type Graph = Map<string, string[]>;

function layerOf(file: string): string {
  const rel = relative(SRC, file);
  const first = rel.split("/")[0] ?? rel;
  return first.endsWith(".ts") ? first.replace(/\.ts$/, "") : first;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|json)$/.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => join(e.parentPath, e.name));
}

const IMPORT = /(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^\s*import\s+["']([^"']+)["']/gm;

function buildGraph(): Graph {
  const graph: Graph = new Map();
  for (const file of sourceFiles(SRC).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(file, "utf8");
    const targets: string[] = [];
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? match[3];
      // Files outside src/ (package.json, templates/) are data, not layers.
      const target = spec?.startsWith(".") ? resolve(dirname(file), spec) : undefined;
      if (target?.startsWith(`${SRC}/`)) targets.push(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

export function layerViolations(graph: Graph, layer: (file: string) => string): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const source = layer(from);
    for (const target of targets) {
      const dest = layer(target);
      if (dest === source || dest === "data" || dest === "types.d") continue;
      if (!(ALLOWED[source] ?? []).includes(dest)) out.push(`${source} → ${dest}: ${relative(SRC, from)} imports ${relative(SRC, target)}`);
    }
  }
  return out;
}

export function findCycle(graph: Graph): string[] | null {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === "done") return null;
    if (state.get(node) === "visiting") return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, "visiting");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, "done");
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

/** Files (or texts) with a Bun.spawn/spawnSync call whose options, up to its closing `)`, name no `env`. */
export function envlessSpawns(files: string[], texts: string[] = []): string[] {
  const sources = [
    ...files.map((f) => ({ name: relative(SRC, f), text: readFileSync(f, "utf8") })),
    ...texts.map((text, i) => ({ name: `<text ${i}>`, text })),
  ];
  const out: string[] = [];
  for (const { name, text } of sources)
    for (const match of text.matchAll(/Bun\.spawn(?:Sync)?\(/g)) {
      const call = text.slice(match.index, text.indexOf(");", match.index) + 2);
      if (!/\benv\b/.test(call)) out.push(name);
    }
  return out;
}

describe("architecture", () => {
  const graph = buildGraph();

  test("src has modules to check", () => {
    expect(graph.size).toBeGreaterThan(10);
  });

  test("every import follows DESIGN §2's layer rules", () => {
    expect(layerViolations(graph, layerOf)).toEqual([]);
  });

  test("no import cycles", () => {
    const cycle = findCycle(graph);
    expect(cycle?.map((f) => relative(SRC, f)) ?? null).toBeNull();
  });

  test("every file under src/ is in a known layer", () => {
    const unknown = [...graph.keys()].map(layerOf).filter((l) => !(l in ALLOWED));
    expect(unknown).toEqual([]);
  });

  test("every Bun.spawn names its env: without one Bun hands over the environment loki started with, not process.env now", () => {
    expect(envlessSpawns(sourceFiles(SRC).filter((f) => f.endsWith(".ts")))).toEqual([]);
    expect(envlessSpawns([], ['Bun.spawn([a], { stdin: "ignore" });', 'Bun.spawn([a], { env, stdin: "ignore" });'])).toEqual(["<text 0>"]);
  });

  test("the checkers catch a violation and a cycle", () => {
    const fake: Graph = new Map([
      [join(SRC, "core/a.ts"), [join(SRC, "spec/b.ts")]],
      [join(SRC, "spec/b.ts"), [join(SRC, "core/a.ts")]],
    ]);
    expect(layerViolations(fake, layerOf)).toHaveLength(1);
    expect(findCycle(fake)).not.toBeNull();
  });
});
