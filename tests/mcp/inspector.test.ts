// `loki mcp` driven by the REAL MCP Inspector CLI (devDependency), over stdio and over Streamable HTTP on
// 127.0.0.1: the tools, their annotations and schema portability, tool calls and refused input (exit 5),
// the run resource templates, the loki_start prompt, and the bearer token. No other network.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir as osTmp } from "node:os";
import { join, resolve } from "node:path";
import { cliBundle } from "../helpers/cli-bundle.ts";
import { tmpdir } from "../helpers/tmp.ts";

const ROOT = resolve(import.meta.dir, "..", "..");
// The launcher's --cli hands over to clients/cli; it wants Node >= 22, so it runs under this Bun instead.
const INSPECTOR = join(ROOT, "node_modules", "@modelcontextprotocol", "inspector", "clients", "launcher", "build", "index.js");
const CORE = ["loki_status", "loki_start", "loki_events", "loki_verify", "loki_proof", "loki_stop"];
const ALL = [...CORE, "loki_plan", "loki_memory_search", "loki_cost", "loki_trust"];
const TOKEN = "loki-test-token-0123456789abcdef";

// The inspector keeps a catalog, a client config and OAuth state under its HOME: all of it lands here.
const home = mkdtempSync(join(osTmp(), "loki-inspector-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

type Json = Record<string, unknown>;
type InspectorRun = { code: number; stdout: string; stderr: string; json: () => Json; error: () => Json };

/** `inspector --cli <args> --format json` in `cwd`; its stdout is one JSON object, an error envelope goes to stderr. */
async function inspector(args: string[], cwd: string): Promise<InspectorRun> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/proxy$|^MCP_/i.test(k)) env[k] = v;
  Object.assign(env, {
    HOME: home,
    USERPROFILE: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    MCP_CATALOG_PATH: join(home, "catalog.json"),
    NO_PROXY: "127.0.0.1,localhost",
  });
  const argv = [process.execPath, INSPECTOR, "--cli", ...args, "--format", "json"];
  const proc = Bun.spawn(argv, { cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  const parse = (text: string, what: string) => {
    const line = text
      .split("\n")
      .reverse()
      .find((l) => l.startsWith("{"));
    if (!line) throw new Error(`inspector exited ${code} with no JSON on ${what}\nstdout: ${stdout}\nstderr: ${stderr}`);
    return JSON.parse(line) as Json;
  };
  return { code, stdout, stderr, json: () => parse(stdout, "stdout"), error: () => parse(stderr, "stderr").error as Json };
}

/** The stdio server command the inspector starts: this checkout's loki, as the package ships it. */
const lokiMcp = (...args: string[]) => [process.execPath, cliBundle(), "mcp", ...args];

/** The repository root as loki reports it (real path: the temp dir may sit behind a symlink). */
const toplevel = (dir: string) => Bun.spawnSync(["git", "rev-parse", "--show-toplevel"], { cwd: dir }).stdout.toString().trim();

const toolsOf = (run: InspectorRun) => (run.json().result as { tools: Json[] }).tools;

/** The one text block a tool answers with, parsed (it is compact JSON). */
function toolText(run: InspectorRun): string {
  const result = run.json().result as { content: { type: string; text: string }[] };
  expect(result.content).toHaveLength(1);
  expect(result.content[0]?.type).toBe("text");
  return result.content[0]?.text ?? "";
}

describe("loki mcp over stdio, through the MCP Inspector CLI", () => {
  test("tools/list --strict: exactly the six default tools, annotated, with portable schemas (exit 0)", async () => {
    await using repo = await tmpdir({ git: true, commit: true });
    const run = await inspector([...lokiMcp(), "--cwd", repo.path, "--method", "tools/list", "--strict"], repo.path);
    expect(run.code, run.stderr).toBe(0);
    // --strict with --format json lists every finding, warnings too, in `schemaFindings`: there are none.
    expect(run.json().schemaFindings).toBeUndefined();
    const tools = toolsOf(run);
    expect(tools.map((t) => t.name)).toEqual(CORE);
    for (const tool of tools) {
      expect(typeof tool.description).toBe("string");
      expect(tool.inputSchema).toMatchObject({ type: "object" });
      expect(tool.annotations).toEqual({
        readOnlyHint: expect.any(Boolean),
        destructiveHint: expect.any(Boolean),
        idempotentHint: expect.any(Boolean),
        openWorldHint: expect.any(Boolean),
      });
    }
    const byName = Object.fromEntries(tools.map((t) => [t.name, t.annotations as Json]));
    expect(byName.loki_status).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(byName.loki_events).toMatchObject({ readOnlyHint: true });
    expect(byName.loki_start).toMatchObject({ readOnlyHint: false, openWorldHint: true, idempotentHint: false });
    expect(byName.loki_stop).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect((tools.find((t) => t.name === "loki_start")?.inputSchema as Json).required).toEqual(["spec"]);
  });

  test("--tools all: the ten tools, still portable under --strict", async () => {
    await using repo = await tmpdir({ git: true, commit: true });
    const run = await inspector([...lokiMcp("--tools", "all"), "--cwd", repo.path, "--method", "tools/list", "--strict"], repo.path);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().schemaFindings).toBeUndefined();
    expect(toolsOf(run).map((t) => t.name)).toEqual(ALL);
  });

  test("tools/call loki_status in a fresh repository: inactive, rooted there (exit 0)", async () => {
    await using repo = await tmpdir({ git: true, commit: true });
    const run = await inspector([...lokiMcp(), "--cwd", repo.path, "--method", "tools/call", "--tool-name", "loki_status"], repo.path);
    expect(run.code, run.stderr).toBe(0);
    expect((run.json().result as Json).isError).toBeUndefined();
    const status = JSON.parse(toolText(run)) as Json;
    expect(status).toMatchObject({ status: "inactive", run_id: null, delegated: [] });
    expect(status.root).toBe(toplevel(repo.path));
  });

  test("tools/call loki_events with a cursor it never gave: isError, exit 5", async () => {
    await using repo = await tmpdir({ git: true, commit: true });
    const run = await inspector(
      [...lokiMcp(), "--cwd", repo.path, "--method", "tools/call", "--tool-name", "loki_events", "--tool-arg", "cursor=bad"],
      repo.path,
    );
    expect(run.code, run.stderr).toBe(5);
    expect((run.json().result as Json).isError).toBe(true);
    expect(toolText(run)).toContain('cursor "bad" is not one loki_events returned');
    expect(run.error().code).toBe("tool_is_error");
  });

  test("resources/templates/list: the events, evidence and proof of a run", async () => {
    await using repo = await tmpdir({ git: true, commit: true });
    const run = await inspector([...lokiMcp(), "--cwd", repo.path, "--method", "resources/templates/list"], repo.path);
    expect(run.code, run.stderr).toBe(0);
    const templates = (run.json().result as { resourceTemplates: Json[] }).resourceTemplates;
    expect(templates.map((t) => [t.uriTemplate, t.mimeType])).toEqual([
      ["loki://runs/{run_id}/events", "application/x-ndjson"],
      ["loki://runs/{run_id}/evidence", "application/json"],
      ["loki://runs/{run_id}/proof", "application/json"],
    ]);
  });

  test("prompts/get loki_start: a user message that starts the spec with loki_start", async () => {
    await using repo = await tmpdir({ git: true, commit: true });
    const run = await inspector(
      [...lokiMcp(), "--cwd", repo.path, "--method", "prompts/get", "--prompt-name", "loki_start", "--prompt-args", "spec=prd.md"],
      repo.path,
    );
    expect(run.code, run.stderr).toBe(0);
    const messages = (run.json().result as { messages: { role: string; content: { type: string; text: string } }[] }).messages;
    expect(messages).toHaveLength(1);
    expect(messages[0]?.role).toBe("user");
    expect(messages[0]?.content.text).toContain("Build this with loki: prd.md");
    expect(messages[0]?.content.text).toContain("Call loki_start");
  });
});

type HttpServer = { url: string; stderr: () => string; stop: () => Promise<number> };

/** `loki mcp --http --port 0` in `cwd`, once it has printed its URL; stop() sends SIGTERM and gives its exit code. */
async function serveHttp(cwd: string, token: string): Promise<HttpServer> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env.LOKI_MCP_TOKEN = token;
  const proc = Bun.spawn(lokiMcp("--http", "--port", "0"), { cwd, env, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  let text = "";
  const reader = proc.stderr.getReader();
  const decoder = new TextDecoder();
  const drained = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
    }
  })();
  const stop = async () => {
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    const code = await proc.exited;
    clearTimeout(timer);
    await drained;
    return code;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const url = /at (http:\/\/127\.0\.0\.1:\d+\/mcp) \(6 tools\)/.exec(text)?.[1];
    if (url) return { url, stderr: () => text, stop };
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`loki mcp --http printed no URL (exit ${proc.exitCode})\n${text}`);
    }
    await Bun.sleep(25);
  }
}

describe("loki mcp --http, through the MCP Inspector CLI", () => {
  test("the bearer token lets tools/list through (exit 0); a wrong one is auth_required (exit 3)", async () => {
    await using repo = await tmpdir({ git: true, commit: true });
    const server = await serveHttp(repo.path, TOKEN);
    let stopped: number | undefined;
    try {
      expect(server.stderr()).toContain(`loki mcp: serving ${toplevel(repo.path)} at ${server.url}`);
      // --stored-auth-only: a 401 fails at once instead of starting an interactive OAuth login.
      const over = (token: string) =>
        inspector(
          [
            "--transport",
            "http",
            "--server-url",
            server.url,
            "--header",
            `Authorization: Bearer ${token}`,
            "--stored-auth-only",
            "--method",
            "tools/list",
          ],
          repo.path,
        );
      const good = await over(TOKEN);
      expect(good.code, good.stderr).toBe(0);
      expect(toolsOf(good).map((t) => t.name)).toEqual(CORE);

      const wrong = await over(`${TOKEN}-not-it`);
      expect(wrong.code).not.toBe(0);
      expect(wrong.code, wrong.stderr).toBe(3);
      expect(wrong.error().code).toBe("auth_required");
      expect(String(wrong.error().message)).toContain("unauthorized");
      expect(wrong.stdout).not.toContain("loki_status");
    } finally {
      stopped = await server.stop();
    }
    expect(stopped, server.stderr()).toBe(0);
  });
});
