// Codex `exec --json` parsing over every real sample, error classes from free-text messages, and the
// call outcomes: codex reports tokens only, so cost is always estimated at the dispatched model.
import { describe, expect, test } from "bun:test";
import { codex } from "../../src/providers/codex.ts";
import { summarizeCall } from "../../src/providers/outcome.ts";
import type { ErrorClass } from "../../src/providers/provider.ts";
import { exitWith, parseSample } from "../helpers/provider-fixtures.ts";

const MODEL = "gpt-6.1-sol";
const PRINTF = (target: string) => `/bin/bash -lc "printf '%s\\\\n' 'hello from fake model' > ${target}"`;
const turn = (input: number) => ({
  kind: "result" as const,
  isError: false,
  text: "",
  errorClass: null,
  costUsd: null,
  usage: { "*": { input, output: 24, cache_read: 0, cache_write: 0 } },
  permissionDenials: 0,
});
const DENIED_401 = "unexpected status 401 Unauthorized: fake error 401, url: http://127.0.0.1:18081/v1/responses";

const SAMPLES: [string, unknown[]][] = [
  [
    "codex-exec-json.code-mode.jsonl",
    [
      { kind: "init", sessionId: "01a1fe26-9014-7d70-9202-a7e5e7359baa" },
      { kind: "tool_use", tool: "exec_command", input: { command: PRINTF("hello.txt"), exit_code: 0 } },
      { kind: "tool_result", isError: false, text: "" },
      { kind: "text", text: "DONE" },
      turn(28198),
    ],
  ],
  // The "Model metadata … not found" error item is a warning: no event.
  [
    "codex-exec-json.classic-fake-model.jsonl",
    [
      { kind: "init", sessionId: "01a1fe26-9326-7cd1-9866-308458f1d7aa" },
      { kind: "tool_use", tool: "exec_command", input: { command: PRINTF("hello.txt"), exit_code: 0 } },
      { kind: "tool_result", isError: false, text: "" },
      { kind: "text", text: "DONE" },
      turn(20246),
    ],
  ],
  [
    "codex-exec-json.apply-patch.jsonl",
    [
      { kind: "init", sessionId: "01a1fe26-9586-7191-8e17-5272da578b56" },
      { kind: "tool_use", tool: "apply_patch", input: { changes: [{ path: "<probe>/e2e/codex-patch/repo/hello.txt", kind: "add" }] } },
      { kind: "tool_result", isError: false },
      { kind: "text", text: "DONE" },
      turn(28201),
    ],
  ],
  [
    "codex-exec-json.command-failed.jsonl",
    [
      { kind: "init", sessionId: "01a1fe21-a1fd-70e0-9ceb-3bd5bb86efd8" },
      { kind: "tool_use", tool: "exec_command", input: { command: PRINTF("nodir/x.txt"), exit_code: 1 } },
      { kind: "tool_result", isError: true, text: "/bin/bash: line 1: nodir/x.txt: No such file or directory\n" },
      { kind: "text", text: "DONE" },
      turn(20276),
    ],
  ],
  [
    "codex-exec-json.api-error-401.jsonl",
    [
      { kind: "init", sessionId: "01a1fe21-bbe3-7982-90b3-701035d56893" },
      { kind: "error", errorClass: "auth", message: DENIED_401 },
      { kind: "result", isError: true, text: DENIED_401, errorClass: "auth", costUsd: null, usage: {}, permissionDenials: 0 },
    ],
  ],
];

describe("codex.parse on real samples", () => {
  test.each(SAMPLES)("%s", (name, expected) => {
    expect(parseSample(codex, name)).toEqual(expected as ReturnType<typeof parseSample>);
  });

  test("item.started, turn.started and noise give no events", () => {
    for (const line of [
      "",
      "WARNING: proceeding, even though we could not create PATH aliases",
      '{"type":"turn.started"}',
      '{"type":"item.started","item":{"type":"command_execution"}}',
      '{"type":"item.completed","item":{"type":"reasoning","text":"hm"}}',
    ]) {
      expect(codex.parse(line)).toEqual([]);
    }
  });

  test("cached input tokens are priced as cache reads, not fresh input", () => {
    const line = JSON.stringify({
      type: "turn.completed",
      usage: { input_tokens: 1000, cached_input_tokens: 600, cache_write_input_tokens: 100, output_tokens: 50 },
    });
    expect(codex.parse(line)).toEqual([{ ...turn(0), usage: { "*": { input: 300, output: 50, cache_read: 600, cache_write: 100 } } }]);
  });

  test("reconnect and retry notices are retries, not errors", () => {
    expect(codex.parse('{"type":"error","message":"Reconnecting... 2/5"}')).toEqual([{ kind: "retry", attempt: 2 }]);
    expect(codex.parse('{"type":"error","message":"stream disconnected; retrying 1/5 in 200ms"}')).toEqual([{ kind: "retry", attempt: 1 }]);
  });

  test.each<[string, ErrorClass]>([
    ["unexpected status 401 Unauthorized: bad key", "auth"],
    ["unexpected status 429 Too Many Requests: rate limit reached", "rate_limit"],
    ["You exceeded your current quota", "rate_limit"],
    ["The model `gpt-nope` does not exist or you do not have access to it.", "unknown_model"],
    ["We’re currently experiencing high demand, which may cause temporary errors.", "api_error"],
    ["unexpected status 500 Internal Server Error", "api_error"],
    ["unexpected status 503 Service Unavailable: overloaded", "overloaded"],
  ])("turn.failed %p → %s", (message, errorClass) => {
    expect(codex.parse(JSON.stringify({ type: "turn.failed", error: { message } }))).toEqual([
      { kind: "result", isError: true, text: message, errorClass, costUsd: null, usage: {}, permissionDenials: 0 },
    ]);
  });
});

describe("codex call outcomes", () => {
  const outcome = (name: string, exitCode: number) => summarizeCall(parseSample(codex, name), exitWith(exitCode), MODEL, codex);

  test("success: ok, estimated from tokens at the dispatched model, final text from the agent message", () => {
    const result = outcome("codex-exec-json.code-mode.jsonl", 0);
    expect(result).toMatchObject({ ok: true, errorClass: null, costBasis: "estimated", finalText: "DONE", toolUses: 1 });
    expect(result.costUsd).toBeCloseTo((28198 * 1.75 + 24 * 14) / 1_000_000, 9);
  });

  test("apply_patch counts as a tool use; a failed command does not fail the call", () => {
    expect(outcome("codex-exec-json.apply-patch.jsonl", 0)).toMatchObject({ ok: true, toolUses: 1 });
    expect(outcome("codex-exec-json.command-failed.jsonl", 0)).toMatchObject({ ok: true, toolUses: 1 });
  });

  test("401 is auth, not ok, and still costs the conservative floor", () => {
    const result = outcome("codex-exec-json.api-error-401.jsonl", 1);
    expect(result).toMatchObject({ ok: false, errorClass: "auth", costBasis: "estimated" });
    expect(result.costUsd).toBeCloseTo((20_000 * 1.75 + 2_000 * 14) / 1_000_000, 9);
  });

  test("turns add up", () => {
    const events = [
      ...parseSample(codex, "codex-exec-json.code-mode.jsonl"),
      ...codex.parse(JSON.stringify({ type: "turn.completed", usage: { input_tokens: 2, output_tokens: 1 } })),
    ];
    expect(summarizeCall(events, exitWith(0), MODEL, codex).usage).toEqual({
      "*": { input: 28200, output: 25, cache_read: 0, cache_write: 0 },
    });
  });
});
