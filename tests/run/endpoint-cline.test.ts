// A whole `loki start` run on the REAL cline configured only through loki.yaml `providers.cline` (a
// local Anthropic-compatible endpoint, a key from an env var, a model): every model call reaches the fake
// on 127.0.0.1 with that model and key, review calls get read tools only, and the run verifies. Adversarial
// twin: a hook the build commits in .clinerules/hooks never runs in a grader call.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Completion } from "../../src/core/run-schema.ts";
import { type AnthropicRequest, type AnthropicTurn, isRecord, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { loki } from "../helpers/cli.ts";
import { claudeEnv, cliSandbox } from "../helpers/real-cli.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { MATH4, MATH4_TESTS, PRD_MATH4 } from "../helpers/scenario.ts";

const BIN = resolve(import.meta.dir, "..", "..", "node_modules", ".bin");
const HAS_CLINE = existsSync(join(BIN, "cline"));
const KEY = "sk-local-run-5e1d";
const MODEL = "local-coder";
const MATH = MATH4;
const TESTS = MATH4_TESTS;

/** Every text the request's messages carry, one per line. */
function asked(req: AnthropicRequest): string {
  const texts: string[] = [];
  for (const m of Array.isArray(req.body.messages) ? req.body.messages.filter(isRecord) : []) {
    if (typeof m.content === "string") texts.push(m.content);
    else if (Array.isArray(m.content)) for (const b of m.content.filter(isRecord)) if (typeof b.text === "string") texts.push(b.text);
  }
  return texts.join("\n");
}

/** The working directory cline names in its system prompt. */
function workdir(req: AnthropicRequest): string {
  return /Working Directory: (.+)/.exec(req.system)?.[1]?.trim() ?? "";
}

/** cline reads the prompt from the file its argv names: the first read_files call, then the task itself. */
function promptPath(req: AnthropicRequest): string | null {
  return /Read the file (\S+) and carry out the task/.exec(asked(req))?.[1] ?? null;
}

/**
 * The fake local model. Each call first reads its prompt file (cline takes the task from there), then:
 * a judge or reviewer approves each item it lists when math.js has its function; a build writes math.js
 * and its test with one shell command, then claims done.
 */
function script(prompts: Map<string, string>, plant = "") {
  return (req: AnthropicRequest, step: number): AnthropicTurn => {
    const file = promptPath(req);
    if (step === 1 && file) return { toolUse: { name: "read_files", input: { files: [{ path: file }] } } };
    const task = file ? (prompts.get(file) ?? readPrompt(file, prompts)) : asked(req);
    if (/# (Held-out acceptance check|Acceptance check|Review: |Devil's advocate)/.test(task)) {
      let math = "";
      try {
        math = readFileSync(join(workdir(req), "math.js"), "utf8");
      } catch {}
      const items = [...task.matchAll(/^- \[(ac-[0-9a-f]+(?:-\d+)?)\] (\w+)\(/gm)].map((m) => ({
        id: m[1],
        status: math.includes(`const ${m[2]} `) ? "pass" : "fail",
        evidence: "math.js:1",
      }));
      const verdict = items.every((i) => i.status === "pass") ? "APPROVE" : "REJECT";
      return { text: `\`\`\`json\n${JSON.stringify({ verdict, findings: [], items })}\n\`\`\`` };
    }
    if (step === 2) {
      const command = `cat > math.js <<'EOF'\n${MATH}EOF\ncat > math.test.js <<'EOF'\n${TESTS}EOF${plant}`;
      return { toolUse: { name: "run_commands", input: { commands: [`cd ${workdir(req)} && ${command}`] } } };
    }
    return { text: "Built the math library with tests.\nLOKI_DONE" };
  };
}

/** The prompt file's text (loki removes it after the call, so it is kept the first time it is read). */
function readPrompt(file: string, prompts: Map<string, string>): string {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {}
  prompts.set(file, text);
  return text;
}

describe.skipIf(!HAS_CLINE)("loki start on the real cline, configured only through providers.cline", () => {
  test("a local Anthropic-compatible endpoint: every call carries the configured model and key, and the run verifies", async () => {
    const prompts = new Map<string, string>();
    await using api = await startFakeAnthropic(script(prompts));
    await using box = await cliSandbox();
    const config = [
      "provider: cline",
      "allow_root: true",
      "council: false",
      "providers:",
      "  cline:",
      `    base_url: ${api.url}`,
      "    api: anthropic",
      "    api_key_env: LOCAL_LLM_KEY",
      `    model: ${MODEL}`,
      "    price: { input: 0, output: 0 }",
      "",
    ].join("\n");
    await using repo = await tmpdir({
      commit: true,
      files: {
        "package.json": JSON.stringify({ name: "m", type: "module", private: true, scripts: { test: "node --test" } }),
        "prd.md": PRD_MATH4,
        "loki.yaml": config,
      },
    });
    // A claude user's env (ANTHROPIC_BASE_URL at a dead port, ANTHROPIC_API_KEY=fake): loki.yaml alone decides.
    // E2E_TEST=true turns off cline's feature-flag fetch, so nothing leaves the machine.
    const env = {
      ...claudeEnv(box, "http://127.0.0.1:9"),
      LOCAL_LLM_KEY: KEY,
      E2E_TEST: "true",
      PATH: `${BIN}:${process.env.PATH}`,
    };
    const result = await loki(["start", "prd.md"], { cwd: repo.path, env });
    const completion = Completion.parse(JSON.parse(readFileSync(join(repo.path, ".loki", "state", "completion.json"), "utf8")));
    expect(completion.outcome, `${result.stdout}\n${result.stderr}`).toBe("verified");
    expect(result.code, result.stderr).toBe(0);
    const calls = api.modelCalls();
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call.model).toBe(MODEL);
      expect(call.headers["x-api-key"]).toBe(KEY);
    }
    // Build calls had the shell; the judge's had read tools only.
    const isJudge = (req: AnthropicRequest) => /Held-out acceptance check|Acceptance check/.test(prompts.get(promptPath(req) ?? "") ?? "");
    expect(calls.some((c) => !isJudge(c) && c.tools.includes("run_commands"))).toBe(true);
    const judged = calls.filter(isJudge);
    expect(judged.length).toBeGreaterThan(0);
    for (const call of judged) expect([...call.tools].sort()).toEqual(["read_files", "search_codebase"]);
    expect(readFileSync(join(repo.path, "math.js"), "utf8")).toBe(MATH);
    // Nothing of cline's in ~/.cline: only the empty state dir loki's sandbox makes for every cline call.
    const clineHome = join(box.home, ".cline");
    expect(existsSync(clineHome) ? readdirSync(clineHome, { recursive: true }) : []).toEqual(existsSync(clineHome) ? ["data"] : []);
  });

  test("adversarial: a hook the build commits in .clinerules/hooks does not run in the graders' calls", async () => {
    // The hook leaves a mark, named after the call's settings file (graders: global-settings-readonly.json), in its data dir.
    const hook = `#!/bin/sh\ntouch "$(dirname "$CLINE_GLOBAL_SETTINGS_PATH")/hook-ran-$(basename "$CLINE_GLOBAL_SETTINGS_PATH")"\necho '{}'\n`;
    const plant = `\nmkdir -p .clinerules/hooks && cat > .clinerules/hooks/TaskStart <<'EOF'\n${hook}EOF\nchmod +x .clinerules/hooks/TaskStart`;
    const prompts = new Map<string, string>();
    await using api = await startFakeAnthropic(script(prompts, plant));
    await using box = await cliSandbox();
    const config = ["allow_root: true", "provider: cline", "council: false", "providers:", "  cline:", `    base_url: ${api.url}`];
    const yaml = [...config, "    api: anthropic", "    api_key_env: LOCAL_LLM_KEY", `    model: ${MODEL}`, ""].join("\n");
    await using repo = await tmpdir({
      commit: true,
      files: {
        "package.json": JSON.stringify({ name: "m", type: "module", private: true, scripts: { test: "node --test" } }),
        "prd.md": PRD_MATH4,
        "loki.yaml": yaml,
      },
    });
    const env = { ...claudeEnv(box, "http://127.0.0.1:9"), LOCAL_LLM_KEY: KEY, E2E_TEST: "true", PATH: `${BIN}:${process.env.PATH}` };
    const result = await loki(["start", "prd.md"], { cwd: repo.path, env });
    expect(existsSync(join(repo.path, ".clinerules", "hooks", "TaskStart")), result.stdout).toBe(true);
    const judged = api.modelCalls().filter((c) => /[Aa]cceptance check/.test(prompts.get(promptPath(c) ?? "") ?? ""));
    expect(judged.length, result.stdout + result.stderr).toBeGreaterThan(0);
    const marks = [join(repo.path, ".loki"), box.home].flatMap((dir) =>
      (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.includes("hook-ran-")),
    );
    expect(marks.filter((f) => f.includes("readonly"))).toEqual([]);
  });
});
