// `loki mcp` with the MCP SDK's own client, over stdio and Streamable HTTP: the tool sets and their
// token budget, refused arguments (paths out of the repository, option-like refs, forged cursors), a
// real background run started, watched, proven and stopped through the tools, and the HTTP guards.
import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { httpClient, httpServer, INITIALIZE, keeper, stdioClient } from "../helpers/mcp-client.ts";
import { HELD, NO_COUNCIL, scenarioRepo } from "../helpers/scenario.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { cliBundle } from "../helpers/cli-bundle.ts";

const TOKEN = "test-token-0123456789abcdefghij";
const keep = keeper();

type Status = { status: string; run_id: string | null; root: string; delegated: { run_id: string; status: string; dir: string }[] };
type Page = {
  run_id: string;
  status: string;
  outcome: string | null;
  events: { kind: string; run_id: string }[];
  cursor: string;
  more: boolean;
  reset: boolean;
};

describe("tools", () => {
  test("the default set is the six run tools, annotated, within 2,000 tokens; --tools all adds four", async () => {
    await using repo = await tmpdir({ commit: true });
    const client = keep(await stdioClient(repo.path));
    const listed = await client.listTools();
    expect(listed.tools.map((t) => t.name)).toEqual(["loki_status", "loki_start", "loki_events", "loki_verify", "loki_proof", "loki_stop"]);
    for (const tool of listed.tools) {
      expect(typeof tool.annotations?.readOnlyHint).toBe("boolean");
      expect(typeof tool.annotations?.destructiveHint).toBe("boolean");
      expect(tool.inputSchema.type).toBe("object");
    }
    const byName = Object.fromEntries(listed.tools.map((t) => [t.name, t]));
    expect(byName.loki_status?.annotations?.readOnlyHint).toBe(true);
    expect(byName.loki_stop?.annotations?.destructiveHint).toBe(true);
    expect(byName.loki_start?.inputSchema.required).toEqual(["spec"]);
    // About four characters per token: the estimate the budget is held to.
    const tokens = Math.ceil(JSON.stringify(listed).length / 4);
    expect(tokens).toBeLessThanOrEqual(2000);
    expect(client.stderr()).toContain("over stdio (6 tools)");
    const all = keep(await stdioClient(repo.path, ["--tools", "all"]));
    expect((await all.listTools()).tools.map((t) => t.name).slice(6)).toEqual([
      "loki_plan",
      "loki_memory_search",
      "loki_cost",
      "loki_trust",
    ]);
    const child = keep(await stdioClient(repo.path, ["--tools", "child"]));
    expect((await child.listTools()).tools.map((t) => t.name)).toEqual(["loki_verify"]);
    const prompts = await client.listPrompts();
    expect(prompts.prompts.map((p) => p.name)).toEqual(["loki_start"]);
    const prompt = await client.getPrompt({ name: "loki_start", arguments: { spec: "prd.md" } });
    const said = (prompt.messages[0]?.content as { text: string }).text;
    expect(said).toContain("Build this with loki: prd.md");
    expect(said).toMatch(/loki_start[\s\S]*loki_events[\s\S]*loki_proof/);
    const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    expect(templates.sort()).toEqual(["loki://runs/{run_id}/events", "loki://runs/{run_id}/evidence", "loki://runs/{run_id}/proof"]);
  });

  test("status, verify and the extra tools answer with their commands' JSON", async () => {
    await using repo = await tmpdir({ commit: true, files: { "a.txt": "a\n" } });
    const client = keep(await stdioClient(repo.path, ["--tools", "all"]));
    const status = await client.tool("loki_status");
    expect(status.isError).toBe(false);
    expect(status.json<Status>()).toMatchObject({ status: "inactive", run_id: null });
    writeFileSync(join(repo.path, "a.txt"), "changed\n");
    const verify = await client.tool("loki_verify", { base: "HEAD", uncommitted: true });
    expect(verify.isError).toBe(false);
    const verdict = verify.json<{ verdict: string; exit_code: number; subject: { files: number }; gates: { id: string }[] }>();
    // A changed file and no test runner: inconclusive evidence is CONCERNS, never VERIFIED.
    expect(verdict).toMatchObject({ verdict: "CONCERNS", exit_code: 1, subject: { files: 1 } });
    expect(verdict.gates.map((g) => g.id)).toContain("tests");
    const cost = await client.tool("loki_cost");
    expect(cost.isError).toBe(false);
    const memory = await client.tool("loki_memory_search", { query: "timeout in add" });
    expect(memory.isError).toBe(false);
    const plan = await client.tool("loki_plan", { spec: "add a --version flag that prints the version" });
    expect(plan.json<{ spec: { kind: string } }>().spec.kind).toBe("brief");
  }, 120_000);

  test("arguments that leave the repository, pose as options or forge a cursor are refused", async () => {
    await using repo = await tmpdir({ commit: true });
    await using outside = await tmpdir({ files: { "secret.md": "# not yours\n" } });
    symlinkSync(join(outside.path, "secret.md"), join(repo.path, "link.md"));
    mkdirSync(join(repo.path, "docs"));
    symlinkSync(outside.path, join(repo.path, "docs", "out"));
    const client = keep(await stdioClient(repo.path, ["--tools", "all"]));
    const refused = async (name: string, args: Record<string, unknown>, says: RegExp) => {
      const answer = await client.tool(name, args);
      expect(answer.isError).toBe(true);
      expect(answer.text).toMatch(says);
    };
    await refused("loki_start", { spec: "../../etc/passwd" }, /must be inside the repository/);
    await refused("loki_start", { spec: join(outside.path, "secret.md") }, /must be inside the repository/);
    await refused("loki_start", { spec: "link.md" }, /must be inside the repository/);
    await refused("loki_plan", { spec: "docs/out/secret.md" }, /must be inside the repository/);
    await refused("loki_verify", { base: "--output=/tmp/x" }, /no leading '-'/);
    await refused("loki_verify", { base: "HEAD; rm -rf /" }, /no leading '-', no spaces/);
    await refused("loki_events", { cursor: "1-2" }, /not one loki_events returned/);
    await refused("loki_events", { run_id: "../../x" }, /not a run id/);
    await refused("loki_events", { run_id: "run-nope" }, /no run run-nope/);
    await refused("loki_start", { spec: 42 }, /Invalid arguments/);
    await refused("loki_events", { limit: 100_000 }, /Invalid arguments/);
    await refused("loki_memory_search", { query: "" }, /Invalid arguments/);
    const unknown = await client
      .callTool({ name: "loki_nope", arguments: {} })
      .catch((e: Error) => ({ isError: true, content: [{ text: e.message }] }));
    expect(unknown.isError).toBe(true);
    // Nothing was started by any of it, and the server still answers.
    expect((await client.tool("loki_status")).json<Status>().status).toBe("inactive");
  }, 60_000);
});

describe("where it serves", () => {
  test("outside a git repository it exits 3 and says so; --repo serves one from anywhere; bad flags are exit 3", async () => {
    await using plain = await tmpdir();
    await using repo = await tmpdir({ commit: true });
    const mcp = (cwd: string, args: string[]) =>
      Bun.spawnSync([process.execPath, cliBundle(), "mcp", ...args], {
        cwd,
        stdin: "ignore",
        env: { ...process.env, LOKI_MCP_TOKEN: TOKEN },
      });
    const outside = mcp(plain.path, []);
    expect(outside.exitCode).toBe(3);
    expect(outside.stderr.toString()).toContain("is not inside a git repository");
    expect(mcp(plain.path, ["--port", "1"]).exitCode).toBe(3);
    expect(mcp(plain.path, ["--tools", "most"]).exitCode).toBe(3);
    expect(mcp(plain.path, ["--repo", join(plain.path, "nope")]).stderr.toString()).toContain("is not a directory");
    const client = keep(await stdioClient(plain.path, ["--repo", repo.path]));
    expect((await client.tool("loki_status")).json<Status>().root).toBe(repo.path);
  }, 60_000);
});

describe("a run through the tools", () => {
  test("loki_start starts a background run; loki_events pages it to its end; loki_proof finds its proof clean; resources serve it", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    const client = keep(await stdioClient(s.path, [], s.env));
    const started = await client.tool("loki_start", { spec: "prd.md", max_iterations: 3 });
    expect(started.isError).toBe(false);
    const runId = started.json<{ run_id: string }>().run_id;
    expect(runId).toMatch(/\S/);
    const seen: Page["events"] = [];
    let cursor: string | undefined;
    let page: Page;
    const deadline = Date.now() + 150_000;
    do {
      page = (await client.tool("loki_events", { run_id: runId, limit: 5, ...(cursor ? { cursor } : {}) })).json<Page>();
      expect(page.reset).toBe(false);
      seen.push(...page.events);
      cursor = page.cursor;
      if (!page.more && ["running", "starting", "stopping"].includes(page.status)) await Bun.sleep(200);
    } while ((page.more || ["running", "starting", "stopping"].includes(page.status)) && Date.now() < deadline);
    expect(page.outcome).toBe("verified");
    // Every event once, in order, all of this run's: the cursor neither skips nor repeats.
    expect(seen[0]?.kind).toBe("run_started");
    expect(seen.at(-1)?.kind).toBe("run_finished");
    expect(new Set(seen.map((e) => e.run_id))).toEqual(new Set([runId]));
    const again = (await client.tool("loki_events", { run_id: runId, limit: 500 })).json<Page>();
    expect(again.events).toEqual(seen);
    const status = (await client.tool("loki_status")).json<Status>();
    expect(status.delegated.map((d) => d.run_id)).toContain(runId);
    const proof = await client.tool("loki_proof", { run_id: runId });
    expect(proof.isError).toBe(false);
    expect(proof.json<{ status: string; exit_code: number }>()).toMatchObject({ status: "clean", exit_code: 0 });
    const resources = (await client.listResources()).resources.map((r) => r.uri);
    expect(resources).toContain(`loki://runs/${runId}/proof`);
    const events = await client.readResource({ uri: `loki://runs/${runId}/events` });
    const lines = String((events.contents[0] as { text: string }).text)
      .trim()
      .split("\n");
    expect(lines.map((l) => JSON.parse(l).kind)).toEqual(seen.map((e) => e.kind));
    const proofText = await client.readResource({ uri: `loki://runs/${runId}/proof` });
    expect(JSON.parse(String((proofText.contents[0] as { text: string }).text)).payload.run.id).toBe(runId);
    await expect(client.readResource({ uri: "loki://runs/run-nope/proof" })).rejects.toThrow(/no run run-nope/);
  }, 200_000);

  test("loki_stop stops a live run, which keeps its state for loki resume", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, HELD);
    const client = keep(await stdioClient(s.path, [], s.env));
    const runId = (await client.tool("loki_start", { spec: "prd.md" })).json<{ run_id: string }>().run_id;
    const stopped = await client.tool("loki_stop", { run_id: runId });
    expect(stopped.isError).toBe(false);
    expect(stopped.json()).toMatchObject({ run_id: runId, stopped: true });
    const status = (await client.tool("loki_status")).json<Status>();
    expect(status.delegated.find((d) => d.run_id === runId)?.status).toMatch(/stopped|interrupted/);
  }, 120_000);

  test("a client that can be asked is shown the quote first: declined, nothing starts; accepted, the run starts", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, HELD);
    const asked: string[] = [];
    let answer: "decline" | "accept" = "decline";
    const client = keep(await stdioClient(s.path, [], s.env, { elicitation: {} }));
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(String(request.params.message));
      return answer === "accept" ? { action: "accept", content: { start: true } } : { action: "decline" };
    });
    const declined = await client.tool("loki_start", { spec: "prd.md" });
    expect(declined.isError).toBe(true);
    expect(declined.text).toContain("not approved");
    expect(asked[0]).toMatch(/4 acceptance items.*iterations.*quoted \$/);
    expect((await client.tool("loki_status")).json<Status>().delegated).toEqual([]);
    answer = "accept";
    const accepted = await client.tool("loki_start", { spec: "prd.md" });
    expect(accepted.isError).toBe(false);
    const runId = accepted.json<{ run_id: string }>().run_id;
    expect((await client.tool("loki_stop", { run_id: runId })).isError).toBe(false);
  }, 120_000);
});

describe("Streamable HTTP", () => {
  test("127.0.0.1 only, a bearer token, no foreign Host or Origin, /mcp only; a client with the token works", async () => {
    await using repo = await tmpdir({ commit: true });
    await using server = await httpServer(repo.path, { LOKI_MCP_TOKEN: TOKEN });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const port = new URL(server.url).port;
    const post = (headers: Record<string, string>, path = "/mcp") =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
        body: INITIALIZE,
      });
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await post({ authorization: TOKEN })).status).toBe(401);
    expect((await post({ ...auth, host: "evil.example:80" })).status).toBe(403);
    expect((await post({ ...auth, host: `attacker.test:${port}` })).status).toBe(403);
    expect((await post({ ...auth, origin: "http://evil.example" })).status).toBe(403);
    expect((await post({ ...auth }, "/other")).status).toBe(404);
    const ok = await post({ ...auth, origin: `http://localhost:${port}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("mcp-session-id")).toMatch(/\S/);
    await ok.body?.cancel();
    expect((await post({ ...auth, "mcp-session-id": "not-a-session" })).status).toBe(404);

    const client = keep(await httpClient(server.url, TOKEN));
    expect((await client.listTools()).tools).toHaveLength(6);
    expect((await client.tool("loki_status")).json<Status>().status).toBe("inactive");
    const refused = await client.tool("loki_start", { spec: "../outside.md" });
    expect(refused).toMatchObject({ isError: true });
    expect(refused.text).toContain("must be inside the repository");
    await expect(httpClient(server.url, "wrong-token-0123456789abcdefghij")).rejects.toThrow();
  }, 60_000);

  test("without LOKI_MCP_TOKEN a token is made once in ~/.loki/mcp/token (0600) and kept; a short one is refused", async () => {
    await using repo = await tmpdir({ commit: true });
    await using home = await tmpdir();
    const env = { HOME: home.path, LOKI_MCP_TOKEN: undefined };
    let first: string;
    {
      await using server = await httpServer(repo.path, env);
      expect(server.stderr()).toContain(join(home.path, ".loki", "mcp", "token"));
      first = (await Bun.file(join(home.path, ".loki", "mcp", "token")).text()).trim();
      expect(first.length).toBeGreaterThanOrEqual(24);
      const { statSync } = await import("node:fs");
      expect(statSync(join(home.path, ".loki", "mcp", "token")).mode & 0o777).toBe(0o600);
      const client = keep(await httpClient(server.url, first));
      expect((await client.listTools()).tools).toHaveLength(6);
    }
    {
      await using server = await httpServer(repo.path, env);
      const client = keep(await httpClient(server.url, first));
      expect((await client.listTools()).tools).toHaveLength(6);
    }
    const short = Bun.spawnSync([process.execPath, (await import("../helpers/cli-bundle.ts")).cliBundle(), "mcp", "--http"], {
      cwd: repo.path,
      env: { ...process.env, LOKI_MCP_TOKEN: "short" },
    });
    expect(short.exitCode).toBe(3);
    expect(short.stderr.toString()).toContain("LOKI_MCP_TOKEN must be at least 24 characters");
  }, 60_000);
});
