// Project detection: which ecosystems a repository uses and how to test, build and lint it, from
// marker files only (no spawns), read from the working tree or from a commit (gates/tree.ts).
// loki.yaml `verify.*` always wins; a guess never runs when the user said what to run.
import type { Config } from "../core/config.ts";
import { fsTree, type Tree } from "./tree.ts";

/**
 * argv to run in the repository root, and where it came from (shown in reports). `shell`: the shell
 * text that argv ends up running, when loki can know it (a package.json script with its pre/post
 * scripts, a configured command) — what grading freezes and where a runner's reporter goes.
 */
export type Command = { argv: string[]; source: string; shell?: string };
export type Project = { kinds: string[]; test: Command | null; build: Command | null; lint: Command | null };

type Role = "test" | "build" | "lint";

type Found = { kinds: string[]; commands: Partial<Record<Role, Command>> };

/** npm init's default test script: a script that exists only to fail is no test runner. */
const NPM_PLACEHOLDER = /no test specified/;

/** The project in `root`'s working tree, or in a `Tree` read from a commit. */
export function detectProject(root: string | Tree, config: Config): Project {
  const tree = typeof root === "string" ? fsTree(root) : root;
  const has = (rel: string) => tree.has(rel);
  // Explicit declarations (package.json scripts, Makefile targets) come before ecosystems
  // inferred from a manifest: a `make test` someone wrote beats a `go test ./...` we guess.
  const found = [node(tree), make(tree), python(tree), go(has), rust(has), java(has), ruby(has)].filter((f): f is Found => f !== null);
  const pick = (role: Role): Command | null => {
    const configured = config.verify[role];
    if (configured !== undefined && configured.trim() !== "")
      return { argv: ["sh", "-c", configured], source: `config verify.${role}`, shell: configured };
    return found.find((f) => f.commands[role])?.commands[role] ?? null;
  };
  const kinds = [...new Set(found.flatMap((f) => f.kinds))];
  return { kinds, test: pick("test"), build: pick("build"), lint: pick("lint") };
}

function node(tree: Tree): Found | null {
  const has = (rel: string) => tree.has(rel);
  const text = tree.read("package.json");
  if (text === null) return null;
  let pkg: { scripts?: Record<string, unknown>; workspaces?: unknown; packageManager?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object") pkg = parsed;
  } catch {
    // An unparseable package.json still marks a Node project; it just declares no scripts.
  }
  const manager = packageManager(has, typeof pkg.packageManager === "string" ? pkg.packageManager : "");
  const script = (name: string): string | null => {
    const value = pkg.scripts?.[name];
    return typeof value === "string" && value.trim() !== "" ? value : null;
  };
  const commands: Found["commands"] = {};
  const test = script("test");
  // `bun test` is Bun's own runner, not the script: the script is `bun run test`.
  // What the package manager runs: the script between its pre- and post-script.
  const body = (name: string, main: string) =>
    [script(`pre${name}`), main, script(`post${name}`)].filter((s): s is string => s !== null).join(" && ");
  if (test !== null && !NPM_PLACEHOLDER.test(test))
    commands.test = {
      argv: manager === "bun" ? ["bun", "run", "test"] : [manager, "test"],
      source: "package.json scripts.test",
      shell: body("test", test),
    };
  for (const role of ["build", "lint"] as const) {
    const main = script(role);
    if (main !== null) commands[role] = { argv: [manager, "run", role], source: `package.json scripts.${role}`, shell: body(role, main) };
  }
  return { kinds: pkg.workspaces ? ["node", "node-workspaces"] : ["node"], commands };
}

function packageManager(has: (rel: string) => boolean, declared: string): string {
  if (has("bun.lock") || has("bun.lockb")) return "bun";
  if (has("pnpm-lock.yaml")) return "pnpm";
  if (has("yarn.lock")) return "yarn";
  const name = declared.split("@")[0] ?? "";
  return ["bun", "pnpm", "yarn"].includes(name) ? name : "npm";
}

/** A rule line naming `target` (also among several targets), not a `test := …` assignment. */
function makeTarget(makefile: string, target: string): boolean {
  return new RegExp(`^(?:[^\\s:#=]+[ \\t]+)*${target}(?:[ \\t]+[^\\s:#=]+)*[ \\t]*(?:::|:)(?![:=])`, "m").test(makefile);
}

function make(tree: Tree): Found | null {
  const name = ["GNUmakefile", "makefile", "Makefile"].find((n) => tree.has(n));
  const text = name ? tree.read(name) : null;
  if (name === undefined || text === null) return null;
  const commands: Found["commands"] = {};
  for (const role of ["test", "build", "lint"] as const) {
    if (makeTarget(text, role)) commands[role] = { argv: ["make", role], source: `${name} ${role} target` };
  }
  return { kinds: ["make"], commands };
}

function python(tree: Tree): Found | null {
  const has = (rel: string) => tree.has(rel);
  const marker =
    ["pyproject.toml", "setup.cfg", "pytest.ini", "tox.ini", "setup.py"].find(has) ??
    (tree.list("tests").some((name) => /^test_.*\.py$|_test\.py$/.test(name)) ? "tests/test_*.py" : undefined);
  if (marker === undefined) return null;
  const argv = has("uv.lock")
    ? ["uv", "run", "pytest", "-q"]
    : has("poetry.lock")
      ? ["poetry", "run", "pytest", "-q"]
      : ["python3", "-m", "pytest", "-q"];
  return { kinds: ["python"], commands: { test: { argv, source: marker } } };
}

function go(has: (rel: string) => boolean): Found | null {
  if (!has("go.mod")) return null;
  return {
    kinds: ["go"],
    commands: {
      test: { argv: ["go", "test", "./..."], source: "go.mod" },
      build: { argv: ["go", "build", "./..."], source: "go.mod" },
      // vet ships with the toolchain, unlike golangci-lint: it is always there to run.
      lint: { argv: ["go", "vet", "./..."], source: "go.mod" },
    },
  };
}

function rust(has: (rel: string) => boolean): Found | null {
  if (!has("Cargo.toml")) return null;
  return {
    kinds: ["rust"],
    commands: { test: { argv: ["cargo", "test"], source: "Cargo.toml" }, build: { argv: ["cargo", "build"], source: "Cargo.toml" } },
  };
}

function java(has: (rel: string) => boolean): Found | null {
  if (has("pom.xml")) {
    return {
      kinds: ["java"],
      commands: { test: { argv: ["mvn", "-q", "test"], source: "pom.xml" }, build: { argv: ["mvn", "-q", "compile"], source: "pom.xml" } },
    };
  }
  const gradle = ["build.gradle", "build.gradle.kts"].find(has);
  if (gradle === undefined) return null;
  const bin = has("gradlew") ? "./gradlew" : "gradle";
  // `assemble`, not `build`: Gradle's build task runs the tests too.
  return {
    kinds: ["java"],
    commands: { test: { argv: [bin, "test"], source: gradle }, build: { argv: [bin, "assemble"], source: gradle } },
  };
}

function ruby(has: (rel: string) => boolean): Found | null {
  const gemfile = has("Gemfile");
  if (gemfile && has("spec"))
    return { kinds: ["ruby"], commands: { test: { argv: ["bundle", "exec", "rspec"], source: "Gemfile + spec/" } } };
  if (has("Rakefile"))
    return {
      kinds: ["ruby"],
      commands: { test: { argv: gemfile ? ["bundle", "exec", "rake", "test"] : ["rake", "test"], source: "Rakefile" } },
    };
  return gemfile ? { kinds: ["ruby"], commands: {} } : null;
}
