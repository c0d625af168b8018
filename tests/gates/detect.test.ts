// detectProject from marker files alone: one row per ecosystem and package manager, config
// overrides, npm's placeholder script, and Makefile targets that are not really targets.
import { describe, expect, test } from "bun:test";
import { Config } from "../../src/core/config.ts";
import { detectProject } from "../../src/gates/detect.ts";
import { commitTree } from "../../src/gates/tree.ts";
import { tmpdir } from "../helpers/tmp.ts";

const config = (verify: Config["verify"] = {}) => Config.parse({ verify });
const pkg = (scripts: Record<string, string>, extra: Record<string, unknown> = {}) => JSON.stringify({ name: "x", scripts, ...extra });

type Row = {
  name: string;
  files: Record<string, string>;
  kinds: string[];
  test: string[] | null;
  source?: string;
  build?: string[] | null;
  lint?: string[] | null;
};

const ROWS: Row[] = [
  {
    name: "npm (no lockfile)",
    files: { "package.json": pkg({ test: "node --test", build: "tsc", lint: "eslint ." }) },
    kinds: ["node"],
    test: ["npm", "test"],
    source: "package.json scripts.test",
    build: ["npm", "run", "build"],
    lint: ["npm", "run", "lint"],
  },
  {
    name: "bun.lock",
    files: { "package.json": pkg({ test: "bun test" }), "bun.lock": "{}" },
    kinds: ["node"],
    test: ["bun", "run", "test"],
  },
  {
    name: "bun.lockb",
    files: { "package.json": pkg({ test: "bun test" }), "bun.lockb": "" },
    kinds: ["node"],
    test: ["bun", "run", "test"],
  },
  { name: "pnpm", files: { "package.json": pkg({ test: "vitest run" }), "pnpm-lock.yaml": "" }, kinds: ["node"], test: ["pnpm", "test"] },
  { name: "yarn", files: { "package.json": pkg({ test: "jest" }), "yarn.lock": "" }, kinds: ["node"], test: ["yarn", "test"] },
  {
    name: "packageManager field",
    files: { "package.json": pkg({ test: "jest" }, { packageManager: "pnpm@9.1.0" }) },
    kinds: ["node"],
    test: ["pnpm", "test"],
  },
  {
    name: "workspaces",
    files: { "package.json": pkg({ test: "jest" }, { workspaces: ["packages/*"] }) },
    kinds: ["node", "node-workspaces"],
    test: ["npm", "test"],
  },
  {
    name: "npm placeholder is no runner",
    files: { "package.json": pkg({ test: 'echo "Error: no test specified" && exit 1' }) },
    kinds: ["node"],
    test: null,
  },
  { name: "broken package.json", files: { "package.json": "{ nope" }, kinds: ["node"], test: null },
  {
    name: "pytest via pyproject",
    files: { "pyproject.toml": "[project]\nname='x'\n" },
    kinds: ["python"],
    test: ["python3", "-m", "pytest", "-q"],
    source: "pyproject.toml",
  },
  {
    name: "pytest via tests/test_*.py",
    files: { "tests/test_app.py": "def test_a(): pass\n" },
    kinds: ["python"],
    test: ["python3", "-m", "pytest", "-q"],
    source: "tests/test_*.py",
  },
  { name: "uv", files: { "pyproject.toml": "", "uv.lock": "" }, kinds: ["python"], test: ["uv", "run", "pytest", "-q"] },
  { name: "poetry", files: { "setup.cfg": "", "poetry.lock": "" }, kinds: ["python"], test: ["poetry", "run", "pytest", "-q"] },
  {
    name: "go",
    files: { "go.mod": "module x\n" },
    kinds: ["go"],
    test: ["go", "test", "./..."],
    build: ["go", "build", "./..."],
    lint: ["go", "vet", "./..."],
  },
  { name: "rust", files: { "Cargo.toml": "[package]\n" }, kinds: ["rust"], test: ["cargo", "test"], build: ["cargo", "build"] },
  { name: "maven", files: { "pom.xml": "<project/>" }, kinds: ["java"], test: ["mvn", "-q", "test"] },
  {
    name: "gradle wrapper",
    files: { "build.gradle.kts": "", gradlew: "#!/bin/sh\n" },
    kinds: ["java"],
    test: ["./gradlew", "test"],
    build: ["./gradlew", "assemble"],
  },
  { name: "gradle", files: { "build.gradle": "" }, kinds: ["java"], test: ["gradle", "test"] },
  { name: "rspec", files: { Gemfile: "", "spec/a_spec.rb": "" }, kinds: ["ruby"], test: ["bundle", "exec", "rspec"] },
  { name: "rake", files: { Gemfile: "", Rakefile: "" }, kinds: ["ruby"], test: ["bundle", "exec", "rake", "test"] },
  {
    name: "make test",
    files: { Makefile: ".PHONY: test\nall:\n\techo\ntest: all\n\t./run-tests\n" },
    kinds: ["make"],
    test: ["make", "test"],
    source: "Makefile test target",
  },
  { name: "make test among several targets", files: { Makefile: "check test:: build\n\ttrue\n" }, kinds: ["make"], test: ["make", "test"] },
  {
    name: "a `test :=` variable is no target",
    files: { Makefile: "test := 1\ntesting:\n\ttrue\n.PHONY: test\n" },
    kinds: ["make"],
    test: null,
  },
  {
    name: "package.json script beats the Go manifest; both kinds listed",
    files: { "go.mod": "", "package.json": pkg({ test: "node --test" }) },
    kinds: ["node", "go"],
    test: ["npm", "test"],
  },
  {
    name: "a Makefile test target beats an inferred ecosystem",
    files: { "go.mod": "", Makefile: "test:\n\tgo test -race ./...\n" },
    kinds: ["make", "go"],
    test: ["make", "test"],
    lint: ["go", "vet", "./..."],
  },
  { name: "nothing", files: { "README.md": "# hi\n" }, kinds: [], test: null, build: null, lint: null },
];

describe("detectProject", () => {
  for (const row of ROWS) {
    test(row.name, async () => {
      await using dir = await tmpdir({ files: row.files });
      const project = detectProject(dir.path, config());
      expect(project.kinds).toEqual(row.kinds);
      expect(project.test?.argv ?? null).toEqual(row.test);
      if (row.source) expect(project.test?.source).toBe(row.source);
      if (row.build !== undefined) expect(project.build?.argv ?? null).toEqual(row.build);
      if (row.lint !== undefined) expect(project.lint?.argv ?? null).toEqual(row.lint);
    });
  }

  test("config verify.* wins over every detected command, as a shell string", async () => {
    await using dir = await tmpdir({ files: { "package.json": pkg({ test: "jest", lint: "eslint ." }), "go.mod": "" } });
    const project = detectProject(dir.path, config({ test: "make check && ./e2e.sh", build: "make all" }));
    const shell = (text: string) => ({ argv: ["sh", "-c", text], shell: text });
    expect(project.test).toEqual({ ...shell("make check && ./e2e.sh"), source: "config verify.test" });
    expect(project.build).toEqual({ ...shell("make all"), source: "config verify.build" });
    expect(project.lint).toEqual({ argv: ["npm", "run", "lint"], source: "package.json scripts.lint", shell: "eslint ." });
    expect(project.kinds).toEqual(["node", "go"]);
  });

  test("a package script's shell text is what the package manager runs: pre-script, script, post-script", async () => {
    await using dir = await tmpdir({ files: { "package.json": pkg({ pretest: "tsc", test: "node --test", posttest: "echo done" }) } });
    expect(detectProject(dir.path, config()).test).toEqual({
      argv: ["npm", "test"],
      source: "package.json scripts.test",
      shell: "tsc && node --test && echo done",
    });
  });

  test("a commit's tree detects the project as it was then, whatever the working tree says now", async () => {
    await using dir = await tmpdir({ files: { "package.json": pkg({ test: "node --test" }), "tests/test_a.py": "" }, commit: true });
    await Bun.write(`${dir.path}/package.json`, pkg({ test: "node -e 0" }));
    const base = detectProject(await commitTree(dir.path, "HEAD"), config());
    expect(base.test?.shell).toBe("node --test");
    expect(base.kinds).toEqual(["node", "python"]);
    expect(detectProject(dir.path, config()).test?.shell).toBe("node -e 0");
  });

  test("a config override finds a runner where detection finds none", async () => {
    await using dir = await tmpdir({ files: { "README.md": "" } });
    expect(detectProject(dir.path, config({ test: "./check" })).test?.source).toBe("config verify.test");
  });
});
