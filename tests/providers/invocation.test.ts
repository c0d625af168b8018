// argv/env per provider and role, from HelpInfo built on the CLIs' real --help texts: exact argv,
// nothing unadvertised (empty flag set), read-only roles never bypass, root needs an explicit opt-in.
import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { isLokiError } from "../../src/core/errors.ts";
import { aider } from "../../src/providers/aider.ts";
import { claude, REVIEW_DENIED_TOOLS } from "../../src/providers/claude.ts";
import { cline } from "../../src/providers/cline.ts";
import { CODEX_CONFIG_ENV, codex } from "../../src/providers/codex.ts";
import { opencode } from "../../src/providers/opencode.ts";
import type { HelpInfo, Invocation } from "../../src/providers/provider.ts";
import { helpFrom, NO_HELP, request } from "../helpers/provider-fixtures.ts";

const CLAUDE_HELP = helpFrom("claude.txt", "2.1.330");
const CODEX_HELP = helpFrom("codex-exec.txt", "0.169.0");
const CLINE_HELP = helpFrom("cline.txt", "3.0.65");
// Documented options (aider.chat/docs/config/options.html; opencode.ai/docs/cli): neither CLI is installable here.
const AIDER_HELP: HelpInfo = {
  version: "0.86.0",
  flags: new Set([
    "--message",
    "--model",
    "--yes-always",
    "--no-auto-commits",
    "--no-pretty",
    "--no-stream",
    "--no-check-update",
    "--no-analytics",
    "--no-show-model-warnings",
    "--no-gitignore",
    "--no-suggest-shell-commands",
    "--chat-history-file",
    "--input-history-file",
    "--reasoning-effort",
    "--dry-run",
  ]),
};
const OPENCODE_HELP: HelpInfo = { version: "1.0.0", flags: new Set(["--model", "-m", "--format", "--agent", "--auto"]) };
const FULL = request({ systemPrompt: "SYS", effort: "max", remainingBudgetUsd: 1.237, denyRead: ["/home/u/.loki/heldout/p/r1.json"] });
const PROMPT = "SYS\n\nImplement the checklist.";
const HELD_OUT = ["Read(//home/u/.loki/heldout/p/r1.json)", "Read(//home/u/.loki/heldout/p/r1.json/**)"];

const asUser = (uid: number) => spyOn(process, "getuid").mockReturnValue(uid);
afterEach(() => {
  (process.getuid as unknown as { mockRestore?: () => void }).mockRestore?.();
  delete process.env[CODEX_CONFIG_ENV];
});

describe("claude.invocation", () => {
  const base = ["claude", "-p", "Implement the checklist.", "--output-format", "stream-json", "--verbose", "--model", "m-1"];

  test("build as a normal user: every advertised option, bypass without IS_SANDBOX", () => {
    asUser(1000);
    const { argv, env } = claude.invocation(FULL, CLAUDE_HELP);
    expect(argv).toEqual([
      ...base,
      "--append-system-prompt",
      "SYS",
      "--effort",
      "max",
      "--max-budget-usd",
      "1.24",
      "--dangerously-skip-permissions",
      "--disallowedTools",
      ...HELD_OUT,
    ]);
    expect(env).toEqual({
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_TELEMETRY: "1",
      CLAUDE_CODE_TMPDIR: "/scratch/run-1",
      XDG_RUNTIME_DIR: "/scratch/run-1",
    });
  });

  test("build as root needs the opt-in, which sets IS_SANDBOX=1", () => {
    asUser(0);
    let thrown: unknown;
    try {
      claude.invocation(request(), CLAUDE_HELP);
    } catch (error) {
      thrown = error;
    }
    expect(isLokiError(thrown) && thrown.kind).toBe("provider");
    expect(isLokiError(thrown) && thrown.hint).toContain("--yes");
    expect(isLokiError(thrown) && thrown.hint).toContain("LOKI_ALLOW_ROOT=true");
    expect(claude.invocation(request({ allowRoot: true }), CLAUDE_HELP).env.IS_SANDBOX).toBe("1");
  });

  test.each(["review", "judge"] as const)("%s is read-only: no bypass, write tools denied, even as root without opt-in", (role) => {
    asUser(0);
    const { argv, env } = claude.invocation({ ...FULL, role }, CLAUDE_HELP);
    expect(argv).not.toContain("--dangerously-skip-permissions");
    expect(argv).not.toContain("--permission-mode");
    expect(argv.slice(argv.indexOf("--disallowedTools") + 1)).toEqual([...REVIEW_DENIED_TOOLS, ...HELD_OUT]);
    expect(REVIEW_DENIED_TOOLS).toEqual(expect.arrayContaining(["Edit", "Write", "NotebookEdit", "Bash(git commit:*)", "Bash(rm:*)"]));
    expect(env.IS_SANDBOX).toBeUndefined();
  });

  test("with nothing advertised: only the base argv; the system prompt leads the prompt", () => {
    asUser(0);
    expect(claude.invocation(FULL, NO_HELP).argv).toEqual([
      "claude",
      "-p",
      PROMPT,
      "--output-format",
      "stream-json",
      "--verbose",
      "--model",
      "m-1",
    ]);
  });

  test("a prompt that looks like an option cannot become one", () => {
    asUser(1000);
    expect(claude.invocation(request({ prompt: "--help me" }), NO_HELP).argv[2]).toBe("\n--help me");
  });
});

describe("codex.invocation", () => {
  test("build: workspace-write, effort, traffic off, system prompt prepended, TMPDIR in scratch", () => {
    const { argv, env } = codex.invocation(FULL, CODEX_HELP);
    expect(argv).toEqual([
      "codex",
      "exec",
      "--json",
      "--skip-git-repo-check",
      "-m",
      "m-1",
      "-s",
      "workspace-write",
      "-c",
      "model_reasoning_effort=xhigh",
      "-c",
      "analytics.enabled=false",
      "--disable",
      "plugins",
      PROMPT,
    ]);
    expect(env).toEqual({ TMPDIR: "/scratch/run-1" });
  });

  test("review and judge run in the read-only sandbox", () => {
    for (const role of ["review", "judge"] as const) expect(codex.invocation(request({ role }), CODEX_HELP).argv).toContain("read-only");
    expect(codex.invocation(request({ role: "review" }), CODEX_HELP).argv).not.toContain("workspace-write");
  });

  test(`${CODEX_CONFIG_ENV} adds -c pairs last; without -c advertised it is an error, not a silent drop`, () => {
    process.env[CODEX_CONFIG_ENV] =
      '# gateway\nmodel_provider=gw\n\nmodel_providers.gw={name="gw",base_url="http://127.0.0.1:9/v1",wire_api="responses"}\n';
    const { argv } = codex.invocation(request(), CODEX_HELP);
    expect(argv.slice(-9, -3)).toEqual([
      "-c",
      "analytics.enabled=false",
      "-c",
      "model_provider=gw",
      "-c",
      'model_providers.gw={name="gw",base_url="http://127.0.0.1:9/v1",wire_api="responses"}',
    ]);
    expect(() => codex.invocation(request(), NO_HELP)).toThrow(/LOKI_CODEX_CONFIG/);
  });

  test("with nothing advertised: only exec --json -m and the prompt", () => {
    expect(codex.invocation(FULL, NO_HELP).argv).toEqual(["codex", "exec", "--json", "-m", "m-1", PROMPT]);
  });

  test("top-level `codex --help` lacks the exec flags: the exec help is the one to read", () => {
    const topLevel = helpFrom("codex.txt");
    expect(topLevel.flags.has("--json")).toBe(false);
    expect(CODEX_HELP.flags.has("--json")).toBe(true);
  });
});

describe("cline.invocation", () => {
  test("build: auto-approve, model, effort, isolated data dir, cwd; local backend, opt-out settings path", () => {
    const { argv, env } = cline.invocation(FULL, CLINE_HELP);
    expect(argv).toEqual([
      "cline",
      "--json",
      "--auto-approve",
      "true",
      "-m",
      "m-1",
      "--thinking",
      "xhigh",
      "--data-dir",
      "/scratch/run-1/cline",
      "-c",
      "/work/repo",
      PROMPT,
    ]);
    expect(env).toEqual({ CLINE_SESSION_BACKEND_MODE: "local", CLINE_GLOBAL_SETTINGS_PATH: "/scratch/run-1/cline/global-settings.json" });
  });

  test("review runs in plan mode; nothing unadvertised is used", () => {
    expect(cline.invocation(request({ role: "review" }), CLINE_HELP).argv).toContain("--plan");
    expect(cline.invocation(request(), CLINE_HELP).argv).not.toContain("--plan");
    expect(cline.invocation(FULL, NO_HELP).argv).toEqual(["cline", "--json", PROMPT]);
  });
});

describe("aider.invocation", () => {
  test("build: message, model, quiet flags, history files in scratch", () => {
    expect(aider.invocation(FULL, AIDER_HELP)).toEqual<Invocation>({
      argv: [
        "aider",
        `--message=${PROMPT}`,
        "--model",
        "m-1",
        "--yes-always",
        "--no-auto-commits",
        "--no-pretty",
        "--no-stream",
        "--no-check-update",
        "--no-analytics",
        "--no-show-model-warnings",
        "--no-gitignore",
        "--no-suggest-shell-commands",
        "--chat-history-file",
        "/scratch/run-1/aider.chat.history.md",
        "--input-history-file",
        "/scratch/run-1/aider.input.history",
        "--reasoning-effort",
        "high",
      ],
      env: {},
    });
  });

  test("review adds --dry-run; with nothing advertised only message and model remain", () => {
    expect(aider.invocation(request({ role: "review" }), AIDER_HELP).argv).toContain("--dry-run");
    expect(aider.invocation(FULL, NO_HELP).argv).toEqual(["aider", `--message=${PROMPT}`, "--model", "m-1"]);
  });
});

describe("opencode.invocation", () => {
  test("build and review argv; bare model names get their provider prefix", () => {
    expect(opencode.invocation(request({ model: "claude-sonnet-5-5" }), OPENCODE_HELP).argv).toEqual([
      "opencode",
      "run",
      "--format",
      "json",
      "--model",
      "anthropic/claude-sonnet-5-5",
      "--auto",
      "Implement the checklist.",
    ]);
    expect(opencode.invocation(request({ role: "review", model: "openai/gpt-6.1-sol" }), OPENCODE_HELP).argv).toEqual([
      "opencode",
      "run",
      "--format",
      "json",
      "--model",
      "openai/gpt-6.1-sol",
      "--agent",
      "plan",
      "Implement the checklist.",
    ]);
    expect(opencode.invocation(FULL, NO_HELP).argv).toEqual(["opencode", "run", "--model", "m-1", PROMPT]);
  });
});
