// Cline `--json` parsing over every real sample (and the batch tools' per-item output), its call
// outcomes, the seeding of the isolated data dir, and which model cline runs (a loki default never
// overrides the model the user's login names). Endpoint settings: cline-config.test.ts.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_MODELS } from "../../src/core/models.ts";
import { cline, seedClineData } from "../../src/providers/cline.ts";
import { clineModelArg, loginModel } from "../../src/providers/cline-config.ts";
import { summarizeCall } from "../../src/providers/outcome.ts";
import { exitWith, parseSample } from "../helpers/provider-fixtures.ts";

const SONNET = "claude-sonnet-4-5";
const CONNECT =
  "Cannot connect to API: Unable to connect. Is the computer able to access the url?: Unable to connect. Is the computer able to access the url? (ConnectionRefused)";
const editor = (dir: string) => ({
  kind: "tool_use",
  tool: "editor",
  input: { path: `<probe>/${dir}/hello.txt`, new_text: "hello from fake model\n" },
});
const done = (input: number, costUsd: number) => ({
  kind: "result",
  isError: false,
  text: "DONE",
  errorClass: null,
  costUsd,
  usage: { [SONNET]: { input, output: 24, cache_read: 0, cache_write: 0 } },
  permissionDenials: 0,
});

const SAMPLES: [string, unknown[]][] = [
  [
    "cline-json.anthropic-editor.jsonl",
    [
      { kind: "init", sessionId: "conv_1795265306163_bmvr7a1" },
      editor("e2e/cline-anth/repo"),
      { kind: "tool_result", isError: false, text: "File created successfully at: <probe>/e2e/cline-anth/repo/hello.txt" },
      { kind: "text", text: "DONE" },
      done(11061, 0.033543),
    ],
  ],
  // Without a TTY the approval fails the tool (recoverable, so no error event); the run completes.
  [
    "cline-json.auto-approve-false.jsonl",
    [
      { kind: "init", sessionId: "conv_1795265263726_ngymejr" },
      editor("runs/cl-noauto/repo"),
      {
        kind: "tool_result",
        isError: true,
        text: 'Tool "editor" requires approval in a TTY session -- NOT a tool or system failure. Clarify with user before proceeding.',
      },
      { kind: "text", text: "DONE" },
      done(11055, 0.033525),
    ],
  ],
  [
    "cline-json.connect-error.jsonl",
    [
      { kind: "init", sessionId: "conv_1795265073010_0gpbb5i" },
      { kind: "error", errorClass: "api_error", message: CONNECT },
      {
        kind: "result",
        isError: true,
        text: CONNECT,
        errorClass: "api_error",
        costUsd: null,
        usage: { [SONNET]: { input: 0, output: 0, cache_read: 0, cache_write: 0 } },
        permissionDenials: 0,
      },
    ],
  ],
];

describe("cline.parse on real samples", () => {
  test.each(SAMPLES)("%s", (name, expected) => {
    expect(parseSample(cline, name)).toEqual(expected as ReturnType<typeof parseSample>);
  });

  test("a final error line and an abort are handled; noise is ignored", () => {
    expect(cline.parse('{"type":"error","message":"401 Unauthorized"}')).toEqual([
      { kind: "error", errorClass: "auth", message: "401 Unauthorized" },
    ]);
    expect(cline.parse('{"type":"run_aborted","reason":"local_abort","message":"aborted"}')).toEqual([]);
    expect(cline.parse("(node) Warning: providerOptions key 'openai-compatible' is deprecated")).toEqual([]);
  });

  test("a zero totalCost is an unpriced model, not a free call", () => {
    const line = JSON.stringify({
      type: "run_result",
      finishReason: "completed",
      text: "ok",
      usage: { inputTokens: 10, outputTokens: 2, totalCost: 0 },
      model: { id: "fake-model" },
    });
    expect(cline.parse(line)).toMatchObject([{ kind: "result", costUsd: null, usage: { "fake-model": { input: 10, output: 2 } } }]);
  });
});

describe("cline call outcomes", () => {
  const outcome = (name: string, exitCode: number) => summarizeCall(parseSample(cline, name), exitWith(exitCode), SONNET, cline);

  test("success: exact cost from run_result", () => {
    expect(outcome("cline-json.anthropic-editor.jsonl", 0)).toMatchObject({
      ok: true,
      costBasis: "exact",
      costUsd: 0.033543,
      finalText: "DONE",
      toolUses: 1,
    });
  });

  test("connection failure: api_error, not ok, never $0", () => {
    const result = outcome("cline-json.connect-error.jsonl", 1);
    expect(result).toMatchObject({ ok: false, errorClass: "api_error", costBasis: "estimated" });
    expect(result.costUsd).toBeGreaterThan(0);
  });
});

describe("seedClineData", () => {
  test("copies the user's login and writes the telemetry opt-out", () => {
    const root = mkdtempSync(join(tmpdir(), "loki-cline-"));
    try {
      const home = join(root, "home");
      const scratch = join(root, "scratch");
      expect(seedClineData(scratch, home)).toBe(false);
      expect(JSON.parse(readFileSync(join(scratch, "cline", "global-settings.json"), "utf8"))).toEqual({ telemetryOptOut: true });

      mkdirSync(join(home, ".cline", "data", "settings"), { recursive: true });
      writeFileSync(join(home, ".cline", "data", "settings", "providers.json"), '{"version":1}\n');
      expect(seedClineData(scratch, home)).toBe(true);
      expect(readFileSync(join(scratch, "cline", "settings", "providers.json"), "utf8")).toBe('{"version":1}\n');
      expect(existsSync(join(home, ".cline", "data", "settings", "global-settings.json"))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("cline.parse: the batch tools' per-item output", () => {
  const toolEnd = (toolName: string, output: unknown) =>
    JSON.stringify({ type: "agent_event", event: { type: "content_end", contentType: "tool", toolName, output } });

  test("read_files/search_codebase: the items' texts; run_commands: an error when any command failed", () => {
    expect(cline.parse(toolEnd("read_files", [{ query: "/r/a.txt", result: "1 | hello", success: true }]))).toEqual([
      { kind: "tool_result", isError: false, text: "1 | hello" },
    ]);
    const commands = [
      { query: "echo hi", result: "hi\n", success: true },
      { query: "false", result: "[Command exited with code 1]", error: "Command exited with code 1", success: false },
    ];
    expect(cline.parse(toolEnd("run_commands", commands))).toEqual([
      { kind: "tool_result", isError: true, text: "hi\n\n[Command exited with code 1]" },
    ]);
  });

  test("a tool the settings removed: the refusal is the error text", () => {
    const refused = "Tool call run_commands was rejected before execution: AI_NoSuchToolError";
    expect(cline.parse(toolEnd("run_commands", { error: refused }))).toEqual([{ kind: "tool_result", isError: true, text: refused }]);
  });
});

describe("which model cline runs", () => {
  const login = (model?: string, lastUsed = "anthropic") =>
    JSON.stringify({ version: 1, lastUsedProvider: lastUsed, providers: { anthropic: { settings: { provider: "anthropic", model } } } });

  test("the login's model is its last-used provider's", () => {
    expect(loginModel(login("user-model"))).toBe("user-model");
    expect(loginModel(login(undefined))).toBeNull();
    expect(loginModel(login("user-model", "openrouter"))).toBeNull();
    expect(loginModel("{not json")).toBeNull();
  });

  test("a loki default never overrides the login's model; a chosen model does; with loki's settings it is always loki's", () => {
    const lokiDefault = DEFAULT_MODELS.cline.standard;
    expect(clineModelArg(lokiDefault, { ownSettings: false, loginModel: "user-model" })).toBeNull();
    expect(clineModelArg("claude-opus-5-5", { ownSettings: false, loginModel: "user-model" })).toBe("claude-opus-5-5");
    expect(clineModelArg(lokiDefault, { ownSettings: false, loginModel: null })).toBe(lokiDefault);
    expect(clineModelArg(lokiDefault, { ownSettings: true, loginModel: "user-model" })).toBe(lokiDefault);
  });
});
