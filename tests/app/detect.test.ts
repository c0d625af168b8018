// detectApp over every fixture project in tests/fixtures/apps (kind, framework, argv, cwd, fixed port and
// the rules looked at, in order), over one small tree per framework rule, and over odd input that must
// neither throw nor hang (broken package.json, a FIFO, a symlink out of the tree, a missing root).
// Over 400 lines: one small case per detection rule, each a few lines, read best side by side.
import { describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { detectApp, OVERRIDE_HINT } from "../../src/app/detect.ts";
import { AppDetection } from "../../src/core/app-schema.ts";
import { tmpdir } from "../helpers/tmp.ts";

const FIXTURES = join(import.meta.dir, "..", "fixtures", "apps");
const LOKI_NODE_MODULES = join(import.meta.dir, "..", "..", "node_modules");

const HEAD = ["override", "compose", "dockerfile"];
const JS_TOOLS = ["package.json", "next", "nuxt", "astro", "sveltekit", "remix", "create-react-app", "angular", "gatsby", "vite"];
const WITHOUT_PKG = ["package.json", "bun", "node"];
const PY = ["django", "flask", "fastapi", "python"];
const ALL_WITHOUT_PKG = [...HEAD, ...WITHOUT_PKG, ...PY, "rails", "go", "rust", "monorepo", "static"];
const VITE_FLAGS = ["--port", "{PORT}", "--strictPort", "--host", "127.0.0.1"];

type Expected = Pick<AppDetection, "kind" | "framework" | "command" | "cwd" | "fixed_port"> & { rules: string[] };

function detect(root: string, options: Parameters<typeof detectApp>[1] = {}): AppDetection {
  return AppDetection.parse(detectApp(root, { env: {}, ...options }));
}

function expectDetection(result: AppDetection, expected: Expected) {
  const { rules, ...fields } = expected;
  expect({
    kind: result.kind,
    framework: result.framework,
    command: result.command,
    cwd: result.cwd,
    fixed_port: result.fixed_port,
  }).toEqual(fields);
  expect(result.checked.map((c) => c.rule)).toEqual(rules);
  for (const check of result.checked) expect(check.why.length).toBeGreaterThan(5);
  // Only the last rule looked at can have matched: the first match wins and ends the walk.
  const matched = result.checked.filter((c) => c.matched && !c.rule.startsWith("monorepo:") && c.rule !== "package.json");
  expect(matched.length).toBeLessThanOrEqual(1);
  if (matched[0]) expect(result.checked.at(-1)?.rule).toBe(matched[0].rule);
}

const node = (script: string): Expected => ({
  kind: "framework",
  framework: "node",
  command: ["npm", "run", script],
  cwd: ".",
  fixed_port: null,
  rules: [...HEAD, ...JS_TOOLS, "package-script"],
});

const FIXTURE_CASES: Record<string, Expected> = {
  "node-ignores-port": node("start"),
  "node-listening-line": node("start"),
  "express-start": node("start"),
  crash: node("start"),
  "slow-ready": node("start"),
  vite: {
    kind: "framework",
    framework: "vite",
    command: ["vite", ...VITE_FLAGS],
    cwd: ".",
    fixed_port: null,
    rules: [...HEAD, ...JS_TOOLS],
  },
  bun: {
    kind: "framework",
    framework: "bun",
    command: ["bun", "run", "index.ts"],
    cwd: ".",
    fixed_port: null,
    rules: [...HEAD, ...JS_TOOLS, "package-script", "bun"],
  },
  static: { kind: "static", framework: "static", command: null, cwd: ".", fixed_port: null, rules: ALL_WITHOUT_PKG },
  "python-stdlib": {
    kind: "framework",
    framework: "python",
    command: ["python3", "server.py"],
    cwd: ".",
    fixed_port: null,
    rules: [...HEAD, ...WITHOUT_PKG, ...PY],
  },
  flask: {
    kind: "framework",
    framework: "flask",
    command: ["python3", "-m", "flask", "--app", "app", "run", "--port", "{PORT}", "--host", "127.0.0.1"],
    cwd: ".",
    fixed_port: null,
    rules: [...HEAD, ...WITHOUT_PKG, "django", "flask"],
  },
  go: {
    kind: "framework",
    framework: "go",
    command: ["go", "run", "."],
    cwd: ".",
    fixed_port: null,
    rules: [...HEAD, ...WITHOUT_PKG, ...PY, "rails", "go"],
  },
  rust: {
    kind: "framework",
    framework: "rust",
    command: ["cargo", "run", "--quiet"],
    cwd: ".",
    fixed_port: null,
    rules: [...HEAD, ...WITHOUT_PKG, ...PY, "rails", "go", "rust"],
  },
  override: { kind: "none", framework: null, command: null, cwd: ".", fixed_port: null, rules: ALL_WITHOUT_PKG },
};

describe("the fixture projects", () => {
  for (const [shape, expected] of Object.entries(FIXTURE_CASES))
    test(shape, () => expectDetection(detect(join(FIXTURES, shape)), expected));

  test("every fixture project here has a case (compose-* and dockerfile* are tested with the compose runner)", async () => {
    const { readdirSync } = await import("node:fs");
    const shapes = readdirSync(FIXTURES).filter((d) => !d.startsWith("compose") && !d.startsWith("dockerfile"));
    expect(shapes.sort()).toEqual(Object.keys(FIXTURE_CASES).sort());
  });

  test("override: runnable only through app.command, run by sh -c", () => {
    const result = detect(join(FIXTURES, "override"), { override: "sh serve.sh" });
    expectDetection(result, {
      kind: "override",
      framework: "override",
      command: ["sh", "-c", "sh serve.sh"],
      cwd: ".",
      fixed_port: null,
      rules: ["override"],
    });
    expect(result.reason).toContain("app.command in loki.yaml");
  });

  test("vite with its dependencies installed runs the local binary", async () => {
    await using dir = await tmpdir();
    cpSync(join(FIXTURES, "vite"), dir.path, { recursive: true });
    symlinkSync(LOKI_NODE_MODULES, join(dir.path, "node_modules"));
    const result = detect(dir.path);
    expect(result.command).toEqual(["node_modules/.bin/vite", ...VITE_FLAGS]);
    expect(result.reason).not.toContain("missing");
  });

  test("none names what was looked for and the override", () => {
    const { reason } = detect(join(FIXTURES, "override"));
    expect(reason).toContain("compose file");
    expect(reason).toContain("index.html");
    expect(reason).toContain(OVERRIDE_HINT);
  });
});

const pkg = (body: object) => JSON.stringify(body);

/** One tree per rule: files, then the argv, framework and fixed port it must give. */
const SHAPES: { name: string; files: Record<string, string>; framework: string; command: string[]; fixed_port?: number }[] = [
  {
    name: "next keeps the dev script's flags but not its port",
    files: { "package.json": pkg({ scripts: { dev: "next dev --turbopack -p 4000" }, dependencies: { next: "15" } }) },
    framework: "next",
    command: ["next", "dev", "--turbopack", "-p", "{PORT}", "-H", "127.0.0.1"],
  },
  {
    name: "nuxt prefers nuxi from node_modules/.bin",
    files: { "package.json": pkg({ scripts: { dev: "nuxt dev" }, dependencies: { nuxt: "3" } }), "node_modules/.bin/nuxi": "" },
    framework: "nuxt",
    command: ["node_modules/.bin/nuxi", "dev", "--port", "{PORT}", "--host", "127.0.0.1"],
  },
  {
    name: "astro",
    files: { "package.json": pkg({ scripts: { dev: "astro dev --host" }, dependencies: { astro: "4" } }) },
    framework: "astro",
    command: ["astro", "dev", "--port", "{PORT}", "--host", "127.0.0.1"],
  },
  {
    name: "sveltekit runs vite dev",
    files: { "package.json": pkg({ scripts: { dev: "vite dev --open" }, devDependencies: { "@sveltejs/kit": "2", vite: "5" } }) },
    framework: "sveltekit",
    command: ["vite", "dev", ...VITE_FLAGS],
  },
  {
    name: "remix on vite",
    files: { "package.json": pkg({ scripts: { dev: "remix vite:dev" }, devDependencies: { "@remix-run/dev": "2", vite: "5" } }) },
    framework: "remix",
    command: ["vite", "dev", ...VITE_FLAGS],
  },
  {
    name: "classic remix dev (its app server reads PORT)",
    files: { "package.json": pkg({ scripts: { dev: "remix dev" }, devDependencies: { "@remix-run/dev": "1" } }) },
    framework: "remix",
    command: ["remix", "dev"],
  },
  {
    name: "create-react-app (PORT in the environment)",
    files: { "package.json": pkg({ scripts: { start: "react-scripts start" }, dependencies: { "react-scripts": "5" } }) },
    framework: "create-react-app",
    command: ["react-scripts", "start"],
  },
  {
    name: "angular",
    files: { "package.json": pkg({ scripts: { start: "ng serve" }, devDependencies: { "@angular/cli": "18" } }) },
    framework: "angular",
    command: ["ng", "serve", "--port", "{PORT}", "--host", "127.0.0.1"],
  },
  {
    name: "gatsby",
    files: { "package.json": pkg({ scripts: { develop: "gatsby develop" }, dependencies: { gatsby: "5" } }) },
    framework: "gatsby",
    command: ["gatsby", "develop", "-p", "{PORT}", "-H", "127.0.0.1"],
  },
  {
    name: "vite with a config and an index.html but no dev script",
    files: { "package.json": pkg({ devDependencies: { vite: "5" } }), "vite.config.ts": "export default {};", "index.html": "<h1>x</h1>" },
    framework: "vite",
    command: ["vite", ...VITE_FLAGS],
  },
  {
    name: "vite only for tests is not the dev server: the start script runs",
    files: { "package.json": pkg({ scripts: { test: "vitest", start: "node server.js" }, devDependencies: { vite: "5", vitest: "3" } }) },
    framework: "node",
    command: ["npm", "run", "start"],
  },
  {
    name: "an express dev script through pnpm, with the port its entry hard-codes",
    files: {
      "package.json": pkg({ scripts: { dev: "nodemon src/server.js", start: "node src/server.js" }, dependencies: { express: "4" } }),
      "pnpm-lock.yaml": "",
      "src/server.js": "require('express')().listen(3000, () => {});",
    },
    framework: "express",
    command: ["pnpm", "run", "dev"],
    fixed_port: 3000,
  },
  {
    name: "fastify through yarn; a port read from PORT is not fixed",
    files: {
      "package.json": pkg({ scripts: { start: "node server.js" }, dependencies: { fastify: "4" } }),
      "yarn.lock": "",
      "server.js": "app.listen({ port: Number(process.env.PORT ?? 3000) });",
    },
    framework: "fastify",
    command: ["yarn", "run", "start"],
  },
  {
    name: "hono through bun (bun.lockb), port in the script",
    files: { "package.json": pkg({ scripts: { dev: "PORT=4000 bun --hot src/index.ts" }, dependencies: { hono: "4" } }), "bun.lockb": "" },
    framework: "hono",
    command: ["bun", "run", "dev"],
    fixed_port: 4000,
  },
  {
    name: "packageManager names the manager when there is no lockfile; a --port in the script is fixed",
    files: { "package.json": pkg({ packageManager: "pnpm@9.1.0", scripts: { start: "http-server -p 8081" } }) },
    framework: "node",
    command: ["pnpm", "run", "start"],
    fixed_port: 8081,
  },
  {
    name: "a build watcher as dev script yields to the start script",
    files: { "package.json": pkg({ scripts: { dev: "tsc -w", start: "node dist/index.js" } }) },
    framework: "node",
    command: ["npm", "run", "start"],
  },
  {
    name: "a Bun.serve entry with a literal port",
    files: { "server.ts": "Bun.serve({ port: 4100, fetch: () => new Response('x') });" },
    framework: "bun",
    command: ["bun", "run", "server.ts"],
    fixed_port: 4100,
  },
  {
    name: "a bare node server without package.json",
    files: { "server.js": "require('http').createServer(() => {}).listen(3001);" },
    framework: "node",
    command: ["node", "server.js"],
    fixed_port: 3001,
  },
  {
    name: "django",
    files: { "manage.py": "import django" },
    framework: "django",
    command: ["python3", "manage.py", "runserver", "127.0.0.1:{PORT}", "--noreload"],
  },
  {
    name: "django with its virtualenv",
    files: { "manage.py": "import django", ".venv/bin/python": "" },
    framework: "django",
    command: [".venv/bin/python", "manage.py", "runserver", "127.0.0.1:{PORT}", "--noreload"],
  },
  {
    name: "flask with an app variable of another name",
    files: { "wsgi.py": "from flask import Flask\nserver = Flask(__name__)\n" },
    framework: "flask",
    command: ["python3", "-m", "flask", "--app", "wsgi:server", "run", "--port", "{PORT}", "--host", "127.0.0.1"],
  },
  {
    name: "flask app factory in a package",
    files: { "app/__init__.py": "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n" },
    framework: "flask",
    command: ["python3", "-m", "flask", "--app", "app", "run", "--port", "{PORT}", "--host", "127.0.0.1"],
  },
  {
    name: "fastapi in app/main.py",
    files: { "app/main.py": "from fastapi import FastAPI\napi = FastAPI()\n" },
    framework: "fastapi",
    command: ["python3", "-m", "uvicorn", "app.main:api", "--port", "{PORT}", "--host", "127.0.0.1"],
  },
  {
    name: "a plain python server with a fixed port",
    files: { "main.py": "import http.server\nhttp.server.HTTPServer(('', 8000), http.server.SimpleHTTPRequestHandler).serve_forever()\n" },
    framework: "python",
    command: ["python3", "main.py"],
    fixed_port: 8000,
  },
  {
    name: "rails",
    files: { "bin/rails": "#!/usr/bin/env ruby", Gemfile: "gem 'rails'" },
    framework: "rails",
    command: ["bin/rails", "server", "-p", "{PORT}", "-b", "127.0.0.1"],
  },
  {
    name: "go with one main package in cmd/",
    files: { "go.mod": "module x\n", "cmd/api/main.go": "package main\n", "lib.go": "package x\n" },
    framework: "go",
    command: ["go", "run", "./cmd/api"],
  },
  {
    name: "go with a fixed port",
    files: { "go.mod": "module x\n", "main.go": 'package main\nfunc main() { http.ListenAndServe(":8090", nil) }\n' },
    framework: "go",
    command: ["go", "run", "."],
    fixed_port: 8090,
  },
  {
    name: "rust with a fixed port",
    files: { "Cargo.toml": '[package]\nname = "x"\n', "src/main.rs": 'fn main() { TcpListener::bind("127.0.0.1:7878"); }' },
    framework: "rust",
    command: ["cargo", "run", "--quiet"],
    fixed_port: 7878,
  },
];

describe("one tree per rule", () => {
  for (const shape of SHAPES) {
    test(shape.name, async () => {
      await using dir = await tmpdir({ files: shape.files });
      const result = detect(dir.path);
      expect({
        kind: result.kind,
        framework: result.framework,
        command: result.command,
        cwd: result.cwd,
        fixed_port: result.fixed_port,
      }).toEqual({
        kind: "framework",
        framework: shape.framework,
        command: shape.command,
        cwd: ".",
        fixed_port: shape.fixed_port ?? null,
      });
      expect(result.checked.at(-1)).toMatchObject({ matched: true });
    });
  }

  test("the rules that do not match say why", async () => {
    await using dir = await tmpdir({
      files: { "Cargo.toml": "[workspace]\nmembers = []\n", "go.mod": "module x\n", "pkg/lib.go": "package x\n" },
    });
    const whys = Object.fromEntries(detect(dir.path).checked.map((c) => [c.rule, c.why]));
    expect(whys.go).toContain("no package main");
    expect(whys.rust).toContain("workspace");
    expect(whys.django).toBe("no manage.py");
  });
});

describe("override, compose and Dockerfile come first", () => {
  const COMPOSE = 'services:\n  web:\n    image: nginx:alpine\n    ports: ["8080:80"]\n';

  test("the override beats a compose file", async () => {
    await using dir = await tmpdir({ files: { "compose.yaml": COMPOSE, "package.json": pkg({ scripts: { start: "node x.js" } }) } });
    const result = detect(dir.path, { override: "make serve" });
    expect(result.kind).toBe("override");
    expect(result.command).toEqual(["sh", "-c", "make serve"]);
    expect(result.checked.map((c) => c.rule)).toEqual(["override"]);
  });

  test("LOKI_APP_COMMAND beats app.command; a blank override is no override", async () => {
    await using dir = await tmpdir({ files: { "index.html": "x" } });
    expect(detect(dir.path, { override: "npm start", env: { LOKI_APP_COMMAND: "bun dev" } }).command).toEqual(["sh", "-c", "bun dev"]);
    expect(detect(dir.path, { override: "  ", env: { LOKI_APP_COMMAND: "" } }).kind).toBe("static");
  });

  test("a compose file is run as a stack, whatever else is there", async () => {
    await using dir = await tmpdir({ files: { "compose.yaml": COMPOSE, Dockerfile: "FROM nginx\n", "index.html": "x" } });
    const result = detect(dir.path);
    expect(result).toMatchObject({ kind: "compose", framework: "compose", command: null, cwd: "." });
    expect(result.compose).toMatchObject({ file: "compose.yaml", primary: "web", container_port: 80, host_port: 8080 });
    expect(result.checked.map((c) => c.rule)).toEqual(["override", "compose"]);
  });

  test("a compose problem is none with the problem as reason, not a fall-through", async () => {
    await using dir = await tmpdir({ files: { "compose.yaml": "services:\n  worker:\n    image: alpine\n", "index.html": "x" } });
    const result = detect(dir.path);
    expect(result).toMatchObject({ kind: "none", command: null });
    expect(result.reason).toContain("publishes a port");
    expect(result.reason).toContain(OVERRIDE_HINT);
    expect(result.checked.map((c) => c.rule)).toEqual(["override", "compose"]);
    expect(result.checked[1]?.matched).toBe(false);
  });

  test("a Dockerfile beats the framework rules", async () => {
    await using dir = await tmpdir({ files: { Dockerfile: "FROM node\n", "package.json": pkg({ scripts: { start: "node x.js" } }) } });
    const result = detect(dir.path);
    expect(result).toMatchObject({ kind: "dockerfile", framework: "dockerfile", command: null, cwd: "." });
    expect(result.checked.map((c) => c.rule)).toEqual(HEAD);
  });

  test("a Containerfile (podman's name) counts as a Dockerfile", async () => {
    await using dir = await tmpdir({ files: { Containerfile: "FROM scratch\n" } });
    const result = detect(dir.path);
    expect(result).toMatchObject({ kind: "dockerfile", command: null, cwd: "." });
    expect(result.reason).toContain("Containerfile");
  });
});

describe("monorepos", () => {
  test("the one app folder that matches, with cwd, and the hoisted binary", async () => {
    await using dir = await tmpdir({
      files: {
        "package.json": pkg({ private: true, workspaces: ["apps/*", "packages/*"], scripts: { dev: "turbo run dev" } }),
        "node_modules/.bin/next": "",
        "apps/web/package.json": pkg({ scripts: { dev: "next dev" }, dependencies: { next: "15" } }),
        "packages/ui/package.json": pkg({ name: "ui" }),
      },
    });
    const result = detect(dir.path);
    expect(result).toMatchObject({ kind: "framework", framework: "next", cwd: "apps/web" });
    expect(result.command).toEqual(["../../node_modules/.bin/next", "dev", "-p", "{PORT}", "-H", "127.0.0.1"]);
    const rules = result.checked.map((c) => c.rule);
    expect(rules.slice(-3)).toEqual(["monorepo:apps/web", "monorepo:packages/ui", "monorepo"]);
    expect(result.checked.find((c) => c.rule === "package-script")?.why).toContain("turbo run dev");
    expect(result.reason.startsWith("apps/web: ")).toBe(true);
  });

  test("a framework folder beats a folder with only a script", async () => {
    await using dir = await tmpdir({
      files: {
        "web/package.json": pkg({ scripts: { dev: "vite" }, devDependencies: { vite: "5" } }),
        "packages/tool/package.json": pkg({ scripts: { start: "node cli.js" } }),
      },
    });
    expect(detect(dir.path)).toMatchObject({ framework: "vite", cwd: "web" });
  });

  test("two apps are none, and the reason names them", async () => {
    await using dir = await tmpdir({
      files: {
        "apps/a/package.json": pkg({ scripts: { dev: "next dev" }, dependencies: { next: "15" } }),
        "apps/b/manage.py": "import django",
      },
    });
    const result = detect(dir.path);
    expect(result.kind).toBe("none");
    expect(result.reason).toContain("several app folders could run (apps/a: next, apps/b: django)");
  });
});

describe("odd input never throws", () => {
  test("an empty folder is none with the override hint", async () => {
    await using dir = await tmpdir();
    const result = detect(dir.path);
    expectDetection(result, { kind: "none", framework: null, command: null, cwd: ".", fixed_port: null, rules: ALL_WITHOUT_PKG });
    expect(result.reason).toContain(OVERRIDE_HINT);
  });

  test("a missing root is none", () => {
    expect(detect("/nonexistent/loki-detect-test").kind).toBe("none");
  });

  test("a malformed package.json is a check that did not match, named in the none reason", async () => {
    await using dir = await tmpdir({ files: { "package.json": '{ "scripts": { "dev": ' } });
    const result = detect(dir.path);
    expect(result.checked[3]).toMatchObject({ rule: "package.json", matched: false });
    expect(result.checked[3]?.why).toContain("not valid JSON");
    expect(result.kind).toBe("none");
    expect(result.reason).toContain("package.json is not valid JSON");
  });

  test("a malformed package.json does not hide a static site", async () => {
    await using dir = await tmpdir({ files: { "package.json": "[1, 2]", "dist/index.html": "x" } });
    const result = detect(dir.path);
    expect(result).toMatchObject({ kind: "static", cwd: "dist" });
    expect(result.checked.find((c) => c.rule === "package.json")?.why).toBe("package.json is not a JSON object");
  });

  test("wrong types inside package.json are ignored", async () => {
    await using dir = await tmpdir({
      files: { "package.json": pkg({ scripts: { dev: 5, start: "node a.js" }, dependencies: ["next"], main: 7 }) },
    });
    expect(detect(dir.path).command).toEqual(["npm", "run", "start"]);
  });

  test("a FIFO is not read (it would block), and a symlink out of the tree is not followed", async () => {
    await using outside = await tmpdir({ files: { "app.py": "from flask import Flask\napp = Flask(__name__)\n" } });
    await using dir = await tmpdir();
    expect(Bun.spawnSync(["mkfifo", join(dir.path, "server.py")]).exitCode).toBe(0);
    symlinkSync(join(outside.path, "app.py"), join(dir.path, "app.py"));
    mkdirSync(join(dir.path, "package.json"));
    const result = detect(dir.path);
    expect(result.kind).toBe("none");
    expect(result.checked.find((c) => c.rule === "package.json")?.why).toBe("no package.json");
  });
});
