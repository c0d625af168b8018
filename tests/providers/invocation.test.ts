// argv/env per provider and role, from HelpInfo built on the CLIs' real --help texts: exact argv,
// nothing unadvertised (empty flag set), read-only roles never bypass, root needs an explicit opt-in,
// and the prompt never in argv — on stdin, or in a file the argv names.
import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { isLokiError } from "../../src/core/errors.ts";
import { aider } from "../../src/providers/aider.ts";
import { claude, REVIEW_DENIED_TOOLS } from "../../src/providers/claude.ts";
import { cline } from "../../src/providers/cline.ts";
import { CODEX_CONFIG_ENV, codex } from "../../src/providers/codex.ts";
import { opencode } from "../../src/providers/opencode.ts";
import type { HelpInfo, Invocation } from "../../src/providers/provider.ts";
import { promptFile } from "../../src/providers/lines.ts";
import { helpFrom, NO_HELP, request } from "../helpers/provider-fixtures.ts";

const CLAUDE_HELP = helpFrom("claude.txt", "2.1.330");
const CODEX_HELP = helpFrom("codex-exec.txt", "0.169.0");
const CLINE_HELP = helpFrom("cline.txt", "3.0.65");
// aider: its documented options (aider.chat/docs/config/options.html; a PyPI package, not installable here). opencode: a
// subset of the real 1.18.33 `run --help` (its full record is tested against the real CLI in opencode-contract.test.ts).
const AIDER_HELP: HelpInfo = {
  version: "0.86.0",
  flags: new Set([
    "--message",
    "--message-file",
    "--read",
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
/** The file cline and aider get the prompt in: in the call's scratch dir, named by its content. */
const PROMPT_FILE = promptFile("/scratch/run-1", "prompt", PROMPT);
/** No argument carries the prompt's text, nor the system prompt's. */
const noPromptIn = (argv: string[]) => argv.filter((a) => a.includes("Implement the checklist") || a === "SYS");
const HELD_OUT = ["Read(//home/u/.loki/heldout/p/r1.json)", "Read(//home/u/.loki/heldout/p/r1.json/**)"];

const asUser = (uid: number) => spyOn(process, "getuid").mockReturnValue(uid);
afterEach(() => {
  (process.getuid as unknown as { mockRestore?: () => void }).mockRestore?.();
  delete process.env[CODEX_CONFIG_ENV];
});

describe("claude.invocation", () => {
  const base = ["claude", "-p", "--output-format", "stream-json", "--verbose", "--model", "m-1"];

  test("build as a normal user: every advertised option, bypass without IS_SANDBOX; the prompts on stdin", () => {
    asUser(1000);
    const { argv, env, stdin, files } = claude.invocation(FULL, CLAUDE_HELP);
    // 2.1.330 hides --append-system-prompt-file, so the system prompt leads the prompt on stdin.
    expect(stdin).toBe(PROMPT);
    expect(files).toBeUndefined();
    expect(argv).toEqual([
      ...base,
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

  test("with nothing advertised: only the base argv; the system prompt leads the prompt on stdin", () => {
    asUser(0);
    const { argv, stdin } = claude.invocation(FULL, NO_HELP);
    expect(argv).toEqual(base);
    expect(stdin).toBe(PROMPT);
  });

  test("an advertised --append-system-prompt-file gets the system prompt as a file; stdin the prompt alone", () => {
    asUser(1000);
    const help: HelpInfo = { version: "9.9.9", flags: new Set([...CLAUDE_HELP.flags, "--append-system-prompt-file"]) };
    const { argv, stdin, files } = claude.invocation(FULL, help);
    const system = promptFile("/scratch/run-1", "system", "SYS");
    expect(files).toEqual([system]);
    expect(system.path).toMatch(/^\/scratch\/run-1\/loki-system-[0-9a-f]{16}\.md$/);
    expect(argv.slice(base.length, base.length + 2)).toEqual(["--append-system-prompt-file", system.path]);
    expect(stdin).toBe("Implement the checklist.");
    expect(noPromptIn(argv)).toEqual([]);
  });

  test("a prompt that looks like an option, or is megabytes long, goes to stdin and never into argv", () => {
    asUser(1000);
    for (const prompt of ["--help me", "x".repeat(4 * 1024 * 1024)]) {
      const { argv, stdin } = claude.invocation(request({ prompt }), NO_HELP);
      expect(argv).toEqual(base);
      expect(stdin).toBe(prompt);
    }
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
      "-",
    ]);
    expect(env).toEqual({ TMPDIR: "/scratch/run-1" });
    // `-`: exec reads the prompt from stdin; the system prompt leads it.
    expect(codex.invocation(FULL, CODEX_HELP).stdin).toBe(PROMPT);
  });

  test("review and judge run in the read-only sandbox, keep no session file and load no execpolicy rules", () => {
    for (const role of ["review", "judge"] as const) {
      const { argv } = codex.invocation(request({ role }), CODEX_HELP);
      expect(argv).toContain("read-only");
      expect(argv).toEqual(expect.arrayContaining(["--ephemeral", "--ignore-rules"]));
    }
    expect(codex.invocation(request(), CODEX_HELP).argv).not.toContain("--ephemeral");
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

  test("with nothing advertised: only exec --json -m and `-`, the prompt on stdin", () => {
    const { argv, stdin } = codex.invocation(FULL, NO_HELP);
    expect(argv).toEqual(["codex", "exec", "--json", "-m", "m-1", "-"]);
    expect(stdin).toBe(PROMPT);
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
      `Read the file ${PROMPT_FILE.path} and carry out the task it describes; it is your whole assignment.`,
    ]);
    expect(env).toEqual({ CLINE_SESSION_BACKEND_MODE: "local", CLINE_GLOBAL_SETTINGS_PATH: "/scratch/run-1/cline/global-settings.json" });
  });

  test("cline reads no stdin: the prompt goes in a file in the scratch dir, the argv only names it", () => {
    const { argv, stdin, files } = cline.invocation(FULL, CLINE_HELP);
    expect(stdin).toBeUndefined();
    expect(files).toEqual([PROMPT_FILE]);
    expect(PROMPT_FILE.path).toMatch(/^\/scratch\/run-1\/loki-prompt-[0-9a-f]{16}\.md$/);
    expect(noPromptIn(argv)).toEqual([]);
  });

  test("review runs in plan mode; nothing unadvertised is used", () => {
    expect(cline.invocation(request({ role: "review" }), CLINE_HELP).argv).toContain("--plan");
    expect(cline.invocation(request(), CLINE_HELP).argv).not.toContain("--plan");
    expect(cline.invocation(FULL, NO_HELP).argv).toEqual(["cline", "--json", expect.stringContaining(PROMPT_FILE.path)]);
  });
});

describe("aider.invocation", () => {
  test("build: message file, model, quiet flags, history files in scratch", () => {
    expect(aider.invocation(FULL, AIDER_HELP)).toEqual<Invocation>({
      argv: [
        "aider",
        "--message-file",
        PROMPT_FILE.path,
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
      files: [PROMPT_FILE],
    });
  });

  test("review adds --dry-run; without --message-file the message only says where the prompt is", () => {
    expect(aider.invocation(request({ role: "review" }), AIDER_HELP).argv).toContain("--dry-run");
    const instruction = `--message=Read the file ${PROMPT_FILE.path} and carry out the task it describes; it is your whole assignment.`;
    expect(aider.invocation(FULL, NO_HELP).argv).toEqual(["aider", instruction, "--model", "m-1"]);
    const withRead: HelpInfo = { version: "0.86.0", flags: new Set(["--read"]) };
    expect(aider.invocation(FULL, withRead).argv).toEqual(["aider", "--read", PROMPT_FILE.path, instruction, "--model", "m-1"]);
    expect(aider.invocation(FULL, NO_HELP).files).toEqual([PROMPT_FILE]);
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
    ]);
    expect(opencode.invocation(FULL, NO_HELP).argv).toEqual(["opencode", "run", "--model", "m-1"]);
  });

  test("`run` with no message argument takes it from stdin", () => {
    expect(opencode.invocation(FULL, OPENCODE_HELP).stdin).toBe(PROMPT);
  });
});

describe("no provider puts a prompt in argv", () => {
  const records = [
    [claude, CLAUDE_HELP],
    [codex, CODEX_HELP],
    [cline, CLINE_HELP],
    [aider, AIDER_HELP],
    [opencode, OPENCODE_HELP],
  ] as const;
  test.each(records.map(([p, help]) => [p.id, p, help] as const))("%s: every role, advertised flags or none", (_id, provider, help) => {
    asUser(1000);
    for (const role of ["build", "review", "judge"] as const)
      for (const flags of [help, NO_HELP]) {
        const { argv, stdin, files } = provider.invocation({ ...FULL, role, allowRoot: true }, flags);
        expect(noPromptIn(argv)).toEqual([]);
        // The prompt and the system prompt arrive whole, one way or the other.
        const delivered = [stdin ?? "", ...(files ?? []).map((f) => f.content)].join("\n");
        expect(delivered).toContain("Implement the checklist.");
        expect(delivered).toContain("SYS");
      }
  });
});
