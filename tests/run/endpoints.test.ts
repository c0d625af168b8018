// Custom endpoints with the REAL claude and codex CLIs against fake model APIs on 127.0.0.1, configured
// only through loki.yaml `providers.<id>`: the configured model and key reach the API, a free local model
// ends VERIFIED with a "declared" bill, LOKI_MODEL_OVERRIDE, and failover within seconds of the first 429.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ProofFile } from "../../src/core/proof-schema.ts";
import { Completion, CostEntry, LokiEvent } from "../../src/core/run-schema.ts";
import { readJsonl } from "../../src/core/workspace.ts";
import { type AnthropicRequest, type AnthropicTurn, cwd, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { cwd as codexCwd, execCommand, type ResponsesRequest, type ResponsesTurn, startFakeOpenAI } from "../helpers/fake-openai.ts";
import { loki } from "../helpers/cli.ts";
import { claudeEnv, cliSandbox, codexEnv } from "../helpers/real-cli.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { PRD } from "../helpers/scenario.ts";

const BIN = resolve(import.meta.dir, "..", "..", "node_modules", ".bin");
const MATH = "export const add = (a, b) => a + b;\nexport const sub = (a, b) => a - b;\n";
const TESTS =
  'import { test } from "node:test";\nimport assert from "node:assert";\nimport { add, sub } from "./math.js";\ntest("add", () => assert.strictEqual(add(2, 3), 5));\ntest("sub", () => assert.strictEqual(sub(5, 3), 2));\n';
const GRADER = /# (Held-out acceptance check|Acceptance check|Review: |Devil's advocate)/;

/** A grader's answer: every item it lists passes. */
function approve(asked: string): string {
  const items = [...asked.matchAll(/- \[(ac-[0-9a-f]+(?:-\d+)?)\]/g)].map((m) => ({ id: m[1], status: "pass", evidence: "math.js:1" }));
  return `Verdict:\n\n\`\`\`json\n${JSON.stringify({ verdict: "APPROVE", findings: [], items })}\n\`\`\``;
}

/** The fake Anthropic model of an honest run: Write math.js and its test, then claim done; graders approve. */
function claudeBuilder() {
  const build: AnthropicTurn[] = [
    { toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), "math.js"), content: MATH }) } },
    { toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), "math.test.js"), content: TESTS }) } },
    { text: "Implemented add and sub with tests.\nLOKI_DONE" },
  ];
  let builds = 0;
  return (req: AnthropicRequest): AnthropicTurn => {
    const asked = JSON.stringify(req.body.messages ?? []);
    if (GRADER.test(asked)) return { text: approve(asked) };
    return build[Math.min(builds++, build.length - 1)] as AnthropicTurn;
  };
}

/** The same run on codex (classic tools, through exec_command). */
function codexBuilder(seen: number[]) {
  return (req: ResponsesRequest, step: number): ResponsesTurn => {
    seen.push(Date.now());
    const asked = JSON.stringify(req.body.input ?? []);
    if (GRADER.test(asked)) return { text: approve(asked) };
    if (step > 1) return { text: "Implemented add and sub with tests.\nLOKI_DONE" };
    const dir = codexCwd(req);
    const write = (name: string, text: string) => `cat > ${join(dir, name)} <<'EOF'\n${text}EOF`;
    return execCommand(`${write("math.js", MATH)}\n${write("math.test.js", TESTS)}`);
  };
}

/** A throwaway repo with the math PRD and `config` as its loki.yaml; the CLIs' homes; no vendor key or URL in env. */
async function endpointRepo(config: string, extraEnv: Record<string, string> = {}) {
  const box = await cliSandbox();
  const repo = await tmpdir({
    commit: true,
    files: {
      "package.json": JSON.stringify({ name: "m", type: "module", private: true, scripts: { test: "node --test" } }),
      "prd.md": PRD,
      "loki.yaml": config,
    },
  });
  const env: Record<string, string> = {
    ...claudeEnv(box, "http://127.0.0.1:1"),
    ...codexEnv(box),
    PATH: `${BIN}:${process.env.PATH}`,
    ...extraEnv,
  };
  // Only loki.yaml points the CLIs anywhere: no vendor variable, and claude's own retries at their default (10).
  for (const name of ["ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "FAKE_OPENAI_KEY", "CLAUDE_CODE_MAX_RETRIES"])
    if (!(name in extraEnv)) delete env[name];
  const ws = (...parts: string[]) => join(repo.path, ".loki", ...parts);
  return {
    path: repo.path,
    env,
    loki: (args: string[]) => loki(args, { cwd: repo.path, env }),
    completion: () => Completion.parse(JSON.parse(readFileSync(ws("state", "completion.json"), "utf8"))),
    events: () => readJsonl(ws("events.jsonl"), LokiEvent),
    ledger: () => readJsonl(ws("metrics", "cost.jsonl"), CostEntry),
    proof: () => {
      const runId = JSON.parse(readFileSync(ws("state", "completion.json"), "utf8")).run_id as string;
      return ProofFile.parse(JSON.parse(readFileSync(ws("proofs", runId, "proof.json"), "utf8"))).payload;
    },
    [Symbol.asyncDispose]: async () => void (await Promise.all([box, repo].map((d) => d[Symbol.asyncDispose]()))),
  };
}

describe("providers.<id> endpoints with the real CLIs", () => {
  test("claude through providers.claude only: the configured model and key reach the API; price 0 ends VERIFIED, declared", async () => {
    await using api = await startFakeAnthropic(claudeBuilder());
    const config = `allow_root: true\nproviders:\n  claude:\n    base_url: ${api.url}\n    api_key_env: GATEWAY_KEY\n    model: local-coder\n    price: { input: 0, output: 0 }\n`;
    await using r = await endpointRepo(config, { GATEWAY_KEY: "sk-gateway-7f3a" });
    const plan = await r.loki(["plan", "prd.md", "--json"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.json<{ models: { build: string; review: string } }>().models).toMatchObject({
      build: "local-coder",
      review: "local-coder",
    });
    const result = await r.loki(["start", "prd.md"]);
    expect(result.code, result.stderr).toBe(0);
    expect(r.completion()).toMatchObject({ outcome: "verified", cost: { usd: 0, basis: "declared" } });
    const calls = api.modelCalls();
    expect(calls.length).toBeGreaterThanOrEqual(5);
    expect([...new Set(calls.map((c) => c.model))]).toEqual(["local-coder"]);
    expect([...new Set(calls.map((c) => c.headers["x-api-key"]))]).toEqual(["sk-gateway-7f3a"]);
    const ledger = r.ledger();
    expect(ledger.every((e) => e.basis === "declared" && e.usd === 0 && e.model === "local-coder")).toBe(true);
    const proof = r.proof();
    expect(proof.headline.verdict).toBe("VERIFIED");
    expect(proof.bill.basis).toBe("declared");
    expect(proof.headline.reasons.join("\n")).toContain("declared for the provider");
    expect(proof.providers.endpoints).toEqual({ claude: api.url });
    // The key is named in loki.yaml, never written to loki's records.
    expect(readFileSync(join(r.path, ".loki", "events.jsonl"), "utf8")).not.toContain("sk-gateway-7f3a");
  });

  test("a model with no declared price still verifies, with its cost estimated: the proof says so (the honest twin)", async () => {
    await using api = await startFakeAnthropic(claudeBuilder());
    const config = `allow_root: true\nproviders:\n  claude:\n    base_url: ${api.url}\n    api_key_env: GATEWAY_KEY\n    model: local-coder\n`;
    await using r = await endpointRepo(config, { GATEWAY_KEY: "k" });
    const result = await r.loki(["start", "prd.md"]);
    expect(result.code, result.stderr).toBe(0);
    expect(r.completion().outcome).toBe("verified");
    expect(r.ledger().some((e) => e.basis === "declared")).toBe(false);
    const proof = r.proof();
    expect(proof.headline).toMatchObject({ verdict: "VERIFIED WITH GAPS", reasons: [expect.stringContaining("estimated")] });
  });

  test("LOKI_MODEL_OVERRIDE routes every call to one model with a custom base URL, and is ignored without one", async () => {
    await using api = await startFakeAnthropic(claudeBuilder());
    await using r = await endpointRepo("allow_root: true\ncouncil: false\n", {
      ANTHROPIC_BASE_URL: api.url,
      ANTHROPIC_API_KEY: "fake",
      LOKI_MODEL_OVERRIDE: "qwen3-coder:30b",
    });
    const result = await r.loki(["start", "prd.md"]);
    expect(result.code, result.stderr).toBe(0);
    expect([...new Set(api.modelCalls().map((c) => c.model))]).toEqual(["qwen3-coder:30b"]);
    await using vendor = await endpointRepo("allow_root: true\n", { ANTHROPIC_API_KEY: "fake", LOKI_MODEL_OVERRIDE: "qwen3-coder:30b" });
    const plan = await vendor.loki(["plan", "prd.md", "--json"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.json<{ models: { build: string } }>().models.build).toBe("claude-sonnet-5-5");
  });

  test("codex through providers.codex only starts and verifies with no OPENAI_API_KEY and no login", async () => {
    const seen: number[] = [];
    await using api = await startFakeOpenAI(codexBuilder(seen));
    const config = `provider: codex\nallow_root: true\ncouncil: false\nproviders:\n  codex:\n    base_url: ${api.url}/v1\n    api_key_env: CORP_LLM_KEY\n    model: fake-model\n    price: { input: 0.1, output: 0.2 }\n`;
    await using r = await endpointRepo(config, { CORP_LLM_KEY: "sk-corp-19" });
    const result = await r.loki(["start", "prd.md"]);
    expect(result.code, result.stderr).toBe(0);
    expect(r.completion().outcome).toBe("verified");
    const calls = api.modelCalls();
    expect([...new Set(calls.map((c) => c.model))]).toEqual(["fake-model"]);
    expect([...new Set(calls.map((c) => c.headers.authorization))]).toEqual(["Bearer sk-corp-19"]);
    expect(r.ledger().every((e) => e.basis === "declared" && e.usd > 0)).toBe(true);
  });

  test("a rate-limited claude fails over to codex within seconds of its first 429, in the same iteration", async () => {
    let first429 = 0;
    await using anthropic = await startFakeAnthropic(() => {
      first429 ||= Date.now();
      return { status: 429, message: "rate limited" };
    });
    const codexSeen: number[] = [];
    await using openai = await startFakeOpenAI(codexBuilder(codexSeen));
    const config = [
      "allow_root: true",
      "council: false",
      "failover: [codex]",
      "providers:",
      "  claude:",
      `    base_url: ${anthropic.url}`,
      "    api_key_env: GATEWAY_KEY",
      "  codex:",
      `    base_url: ${openai.url}/v1`,
      "    api_key_env: CORP_LLM_KEY",
      "    model: fake-model",
      "",
    ].join("\n");
    await using r = await endpointRepo(config, { GATEWAY_KEY: "k1", CORP_LLM_KEY: "k2" });
    const result = await r.loki(["start", "prd.md"]);
    expect(result.code, result.stderr).toBe(0);
    expect(first429).toBeGreaterThan(0);
    const switchMs = (codexSeen[0] ?? Number.POSITIVE_INFINITY) - first429;
    expect(switchMs).toBeLessThan(15_000);
    // claude was asked once: its own ten retries were not sat out.
    expect(anthropic.modelCalls().length).toBeLessThanOrEqual(2);
    const failovers = r.events().flatMap((e) => (e.kind === "provider_failover" ? [e] : []));
    expect(failovers).toMatchObject([{ from: "claude", to: "codex", reason: "rate_limit", iteration: 1 }]);
    // The throttled call got no answer: it costs nothing, exactly (no floor estimate).
    expect(r.ledger().filter((e) => e.provider === "claude")).toMatchObject([{ role: "build", usd: 0, basis: "exact" }]);
    expect(r.completion()).toMatchObject({ outcome: "verified", iterations: 1 });
    const proof = r.proof();
    expect(proof.providers.failovers).toMatchObject([{ iteration: 1, from: "claude", to: "codex", reason: "rate_limit" }]);
    expect(proof.providers.endpoints).toEqual({ claude: anthropic.url, codex: openai.url });
  });
});
