// What an agent loki drives would try with loki's MCP server, each next to the honest twin: take the
// bearer token from its environment or its tests' (no loki process but `loki mcp` keeps it), run its own
// tests outside its sandbox mid-run through loki_verify, read a live run's proof, point an issue URL at a
// host that collects forge tokens, or crowd out the HTTP sessions.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gatesOf } from "../../src/proof/facts.ts";
import { workspaceAt } from "../../src/core/workspace.ts";
import { cliBundle } from "../helpers/cli-bundle.ts";
import { git } from "../helpers/tmp.ts";
import { httpClient, httpServer, keeper, post, stdioClient } from "../helpers/mcp-client.ts";
import { HELD, NO_COUNCIL, scenarioRepo } from "../helpers/scenario.ts";
import { tmpdir } from "../helpers/tmp.ts";

const TOKEN = "attack-token-0123456789abcdefghij";
const keep = keeper();

/** A project whose test writes what it can see of LOKI_MCP_TOKEN into the repository. */
const SNOOP = {
  "package.json": JSON.stringify({ name: "s", type: "module", private: true, scripts: { test: "node --test" } }),
  "snoop.test.js":
    'import { test } from "node:test";\nimport { writeFileSync } from "node:fs";\ntest("snoop", () => writeFileSync("seen.txt", process.env.LOKI_MCP_TOKEN ?? "none"));\n',
};

describe("the bearer token stays with loki mcp", () => {
  test("tests run by `loki verify` never see LOKI_MCP_TOKEN, nor those loki_verify runs for the server that holds it", async () => {
    await using repo = await tmpdir({ commit: true, files: SNOOP });
    writeFileSync(join(repo.path, "a.js"), "export const a = 1;\n");
    const cli = Bun.spawnSync([process.execPath, cliBundle(), "verify", "--uncommitted", "HEAD"], {
      cwd: repo.path,
      env: { ...process.env, LOKI_MCP_TOKEN: TOKEN },
    });
    expect(cli.exitCode).not.toBe(3);
    expect(readFileSync(join(repo.path, "seen.txt"), "utf8")).toBe("none");
    const client = keep(await stdioClient(repo.path, [], { LOKI_MCP_TOKEN: TOKEN }));
    writeFileSync(join(repo.path, "seen.txt"), "");
    const verify = await client.tool("loki_verify", { base: "HEAD", uncommitted: true });
    expect(verify.isError, verify.text).toBe(false);
    expect(readFileSync(join(repo.path, "seen.txt"), "utf8")).toBe("none");
  }, 60_000);
});

describe("a live run", () => {
  test("loki_verify waits for a run working in this checkout; its proof is not served while it lives", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, HELD);
    const run = Bun.spawn([process.execPath, cliBundle(), "start", "prd.md"], {
      cwd: s.path,
      env: { ...process.env, ...s.env },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
    });
    try {
      const deadline = Date.now() + 30_000;
      while (!(existsSync(join(s.path, ".loki", "events.jsonl")) && s.events().some((e) => e.kind === "agent_started"))) {
        if (Date.now() > deadline) throw new Error("the run did not start");
        await Bun.sleep(50);
      }
      const client = keep(await stdioClient(s.path, [], s.env));
      const verify = await client.tool("loki_verify", { base: "HEAD", uncommitted: true });
      expect(verify.isError).toBe(true);
      expect(verify.text).toMatch(/is working in this checkout/);
      const runId = s.events()[0]?.run_id as string;
      await expect(client.readResource({ uri: `loki://runs/${runId}/proof` })).rejects.toThrow(/is not over/);
      s.release();
      expect(await run.exited).toBe(0);
      // Over: the honest twin — both answer.
      const after = await client.tool("loki_verify", { base: "HEAD~1" });
      expect(after.isError, after.text).toBe(false);
      const proof = await client.readResource({ uri: `loki://runs/${runId}/proof` });
      expect(JSON.parse(String((proof.contents[0] as { text: string }).text)).payload.run.id).toBe(runId);
    } finally {
      run.kill();
    }
  }, 120_000);

  test("a stopped run resumes with its held-out items: its proof is not served", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, HELD);
    const client = keep(await stdioClient(s.path, [], s.env));
    const runId = (await client.tool("loki_start", { spec: "prd.md" })).json<{ run_id: string }>().run_id;
    expect((await client.tool("loki_stop", { run_id: runId })).json()).toMatchObject({ stopped: true });
    await expect(client.readResource({ uri: `loki://runs/${runId}/proof` })).rejects.toThrow(/not over for good/);
  }, 120_000);

  test("evidence a `loki verify` wrote under the run's id is not the run's: the proof takes its iteration's gates", async () => {
    await using repo = await tmpdir({ commit: true });
    writeFileSync(join(repo.path, "a.txt"), "a\n");
    const verify = Bun.spawnSync([process.execPath, cliBundle(), "verify", "--uncommitted", "HEAD"], { cwd: repo.path });
    expect(verify.exitCode).toBe(1);
    const ws = workspaceAt(repo.path);
    const written = JSON.parse(readFileSync(ws.evidence, "utf8"));
    expect(written.source).toBe("verify");
    writeFileSync(ws.evidence, JSON.stringify({ ...written, run_id: "r1" }));
    expect(gatesOf(ws, "r1", 0).source).toBe("none");
    writeFileSync(ws.evidence, JSON.stringify({ ...written, run_id: "r1", source: "run" }));
    expect(gatesOf(ws, "r1", 0).source).toBe("evidence");
  });
});

describe("what the diff shows", () => {
  test("a tracked test turned into a FIFO is no hidden change: --uncommitted cannot verify; a path the sandbox masks (--masked) is left out", async () => {
    const { mkfifoSync } = await import("./fifo.ts");
    await using repo = await tmpdir({
      commit: true,
      files: {
        ...SNOOP,
        "sub.js": "export const sub = (a, b) => a - b;\n",
        "sub.test.js":
          'import { test } from "node:test";\nimport assert from "node:assert";\nimport { sub } from "./sub.js";\ntest("sub", () => assert.strictEqual(sub(3, 1), 2));\n',
        "prd.md": "# spec\n",
        "openspec/change/proposal.md": "# change\n",
      },
    });
    writeFileSync(join(repo.path, "sub.js"), "export const sub = (a, b) => a + b;\n");
    const { rmSync } = await import("node:fs");
    rmSync(join(repo.path, "sub.test.js"));
    mkfifoSync(join(repo.path, "sub.test.js"));
    const verify = (args: string[]) =>
      Bun.spawnSync([process.execPath, cliBundle(), "verify", "--uncommitted", ...args, "HEAD"], { cwd: repo.path });
    const hidden = verify([]);
    expect(hidden.exitCode).toBe(3);
    expect(hidden.stderr.toString()).toContain("sub.test.js");
    // Named as masked, it is still no regular file's change to leave out: only a masked path is dropped.
    expect(verify(["--masked", "prd.md"]).exitCode).toBe(3);
    // The honest twin: the sandbox's mask over the spec (a FIFO stands in for its device) is left out.
    rmSync(join(repo.path, "sub.test.js"));
    git(repo.path, ["checkout", "--", "sub.test.js", "sub.js"]);
    writeFileSync(join(repo.path, "sub.js"), "export const sub = (a, b) => a - b;\nexport const two = 2;\n");
    rmSync(join(repo.path, "prd.md"));
    mkfifoSync(join(repo.path, "prd.md"));
    expect(verify([]).exitCode).toBe(3);
    const masked = verify(["--masked", "prd.md", "--json"]);
    expect(masked.exitCode, masked.stderr.toString()).not.toBe(3);
    expect(JSON.parse(masked.stdout.toString()).subject.files).toBe(1);
    // A spec directory the sandbox covers with an empty tmpfs: its files do not read as deleted.
    rmSync(join(repo.path, "openspec", "change", "proposal.md"));
    const files = (args: string[]) => JSON.parse(verify([...args, "--json"]).stdout.toString()).subject.files as number;
    const seen = files(["--masked", "prd.md"]);
    expect(files(["--masked", "prd.md", "--masked", "openspec/change"])).toBe(seen - 1);
  }, 60_000);

  test("the tests `loki verify` runs cannot read the spec of a run that can still resume (it names held-out items)", async () => {
    const peek =
      'import { test } from "node:test";\nimport { readFileSync, writeFileSync } from "node:fs";\ntest("peek", () => { let t = "unreadable"; try { t = readFileSync("notes/prd.md", "utf8") || "empty"; } catch {} writeFileSync("peeked.txt", t); });\n';
    await using s = await scenarioRepo("honest", NO_COUNCIL, HELD, undefined, { "peek.test.js": peek });
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(s.path, "notes"));
    writeFileSync(join(s.path, ".git", "info", "exclude"), "notes/\npeeked.txt\n");
    writeFileSync(join(s.path, "notes", "prd.md"), readFileSync(join(s.path, "prd.md"), "utf8"));
    writeFileSync(join(s.path, "a.js"), "export const a = 1;\n");
    git(s.path, ["add", "a.js"]);
    git(s.path, ["commit", "-qm", "a"]);
    const verify = () =>
      Bun.spawnSync([process.execPath, cliBundle(), "verify", "HEAD~1"], { cwd: s.path, env: { ...process.env, ...s.env } });
    const peeked = () => readFileSync(join(s.path, "peeked.txt"), "utf8");
    // No run here, or only a plan: the project's own tests may read its files.
    verify();
    expect(peeked()).toContain("returns the sum");
    expect((await s.loki(["plan", "notes/prd.md"])).code).toBe(0);
    verify();
    expect(peeked()).toContain("returns the sum");
    // A run stopped mid-way resumes with the held-out items its spec names: hidden from them.
    const run = Bun.spawn([process.execPath, cliBundle(), "start", "notes/prd.md"], {
      cwd: s.path,
      env: { ...process.env, ...s.env },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    const deadline = Date.now() + 30_000;
    while (!(existsSync(join(s.path, ".loki", "events.jsonl")) && s.events().some((e) => e.kind === "agent_started"))) {
      if (Date.now() > deadline || run.exitCode !== null) {
        run.kill();
        const events = existsSync(join(s.path, ".loki", "events.jsonl")) ? s.events().map((e) => e.kind) : [];
        throw new Error(`the run did not start: ${await new Response(run.stderr).text()} ${JSON.stringify(events)}`);
      }
      await Bun.sleep(50);
    }
    expect((await s.loki(["stop"])).code).toBe(0);
    await run.exited;
    verify();
    expect(peeked()).not.toContain("returns the sum");
  }, 120_000);
});

describe("issue URLs", () => {
  test("a spec URL must be https on a known forge or the repository's origin: a token-collecting host is refused", async () => {
    await using repo = await tmpdir({ commit: true });
    git(repo.path, ["remote", "add", "origin", "git@git.corp.example:team/app.git"]);
    const client = keep(await stdioClient(repo.path, ["--tools", "all"]));
    for (const url of [
      "http://127.0.0.1:9/o/r/issues/1",
      "https://evil.example/o/r/issues/1",
      "http://github.com/o/r/issues/1",
      "https://github.com.evil.example/o/r/issues/1",
    ]) {
      for (const tool of ["loki_plan", "loki_start"]) {
        const answer = await client.tool(tool, { spec: url });
        expect(answer.isError).toBe(true);
        expect(answer.text).toContain("is not an issue on a known forge over https");
        expect(answer.text).toContain("git.corp.example: this repository's origin");
      }
    }
    const tools = (await client.listTools()).tools;
    expect(tools.find((t) => t.name === "loki_plan")?.annotations?.readOnlyHint).toBe(false);
  }, 60_000);
});

describe("HTTP sessions", () => {
  test("past 32 sessions the one idle longest is closed for the new client, which is never turned away", async () => {
    await using repo = await tmpdir({ commit: true });
    await using server = await httpServer(repo.path, { LOKI_MCP_TOKEN: TOKEN });
    const ids: string[] = [];
    for (let i = 0; i < 34; i++) {
      const response = await post(server.url, TOKEN);
      expect(response.status).toBe(200);
      await response.body?.cancel();
      ids.push(response.headers.get("mcp-session-id") as string);
    }
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });
    const ask = (id: string) => post(server.url, TOKEN, list, { "mcp-session-id": id, "mcp-protocol-version": "2025-06-18" });
    const first = await ask(ids[0] as string);
    expect(first.status).toBe(404);
    await first.body?.cancel();
    const last = await ask(ids[33] as string);
    expect(last.status).toBe(200);
    await last.body?.cancel();
    // A POST that is no initialize makes no session, evicts none, and leaves nothing behind.
    const stray = await post(server.url, TOKEN, list);
    expect(stray.status).toBeGreaterThanOrEqual(400);
    await stray.body?.cancel();
  }, 60_000);

  test("a session with a call under way is never the one evicted: its answer arrives", async () => {
    await using repo = await tmpdir({
      commit: true,
      files: {
        "package.json": SNOOP["package.json"],
        "slow.test.js":
          'import { test } from "node:test";\ntest("slow", async () => { await new Promise((r) => setTimeout(r, 3000)); });\n',
      },
    });
    writeFileSync(join(repo.path, "a.js"), "export const a = 1;\n");
    await using server = await httpServer(repo.path, { LOKI_MCP_TOKEN: TOKEN });
    const busy = keep(await httpClient(server.url, TOKEN));
    const answer = busy.tool("loki_verify", { base: "HEAD", uncommitted: true });
    await Bun.sleep(300);
    for (let i = 0; i < 33; i++) {
      const response = await post(server.url, TOKEN);
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
    const verdict = await answer;
    expect(verdict.isError, verdict.text).toBe(false);
    expect(verdict.json<{ gates: { id: string; status: string }[] }>().gates.find((g) => g.id === "tests")?.status).toBe("pass");
  }, 60_000);
});
