// The pure pieces of the live status line: widths (wide characters, never wider than asked), k/N,
// money, clocks and durations, phases in words, and the agent's tool call as one safe, redacted line.
import { describe, expect, test } from "bun:test";
import {
  formatClock,
  formatDuration,
  formatLiveLine,
  formatMoney,
  iterationOf,
  livePhase,
  type LiveView,
} from "../../src/run/live-line.ts";
import { describeToolCall, displayWidth, fitWidth, oneLine, stripControls } from "../../src/run/terminal-text.ts";

const view: LiveView = {
  iteration: 2,
  cap: 25,
  phase: "act (claude)",
  spentUsd: 0.42,
  limitUsd: 5,
  elapsedMs: 192_000,
  activity: "Write src/todo.ts",
};

describe("live line", () => {
  test("k/N, phase, spend against the budget, elapsed, then the tool call", () => {
    expect(formatLiveLine(view, 120)).toBe("loki 2/25 · act (claude) · $0.42/$5.00 · 3:12 · Write src/todo.ts");
    expect(formatLiveLine({ ...view, cap: null, limitUsd: null, activity: null }, 120)).toBe("loki 2 · act (claude) · $0.42 · 3:12");
    expect(formatLiveLine({ ...view, iteration: 0, phase: "starting", activity: null }, 120)).toBe("loki · starting · $0.42/$5.00 · 3:12");
  });

  test("fits every width: the tool call is cut first, then left out, then the line itself is cut", () => {
    const long = { ...view, activity: `Bash ${"npm test -- --watch=false ".repeat(20)}` };
    expect(formatLiveLine(long, 60)).toBe("loki 2/25 · act (claude) · $0.42/$5.00 · 3:12 · Bash npm te…");
    expect(formatLiveLine(long, 50)).toBe("loki 2/25 · act (claude) · $0.42/$5.00 · 3:12");
    expect(formatLiveLine(long, 20)).toBe("loki 2/25 · act (cl…");
    for (let width = 1; width <= 200; width++) {
      for (const activity of [long.activity, "編集 src/日本語のファイル名.ts 👩‍💻", null]) {
        const line = formatLiveLine({ ...view, activity }, width);
        expect(displayWidth(line)).toBeLessThanOrEqual(width);
        expect(line).not.toContain("\n");
      }
    }
  });

  test("the tool call cannot smuggle a control code into the line", () => {
    const line = formatLiveLine({ ...view, activity: "Bash echo \x1b[2J\rgone\nnext" }, 120);
    expect(line).toBe("loki 2/25 · act (claude) · $0.42/$5.00 · 3:12 · Bash echo [2J gone next");
  });

  test("numbers: k/N, money, clock, duration", () => {
    expect(iterationOf(1, 25)).toBe("1/25");
    expect(iterationOf(3, null)).toBe("3");
    expect(formatMoney(0.005, null)).toBe("$0.01");
    expect(formatMoney(12.3, 100)).toBe("$12.30/$100.00");
    expect([0, 5_400, 59_999, 60_000, 754_000, 3_723_000, 36_000_000].map(formatClock)).toEqual([
      "0:00",
      "0:05",
      "0:59",
      "1:00",
      "12:34",
      "1:02:03",
      "10:00:00",
    ]);
    expect([0, 48_400, 60_000, 252_000, 3_840_000].map(formatDuration)).toEqual(["0 s", "48 s", "1 min 0 s", "4 min 12 s", "1 h 04 min"]);
  });

  test("phases in words: a backoff and a pause before the loop's phase", () => {
    const run = { phase: "act" as const, status: "running" as const, provider: "codex", backoffLeftMs: null };
    expect(livePhase(run)).toBe("act (codex)");
    expect(livePhase({ ...run, phase: "ship" })).toBe("ship gate");
    expect(livePhase({ ...run, phase: "reflect" })).toBe("checkpoint");
    expect(livePhase({ ...run, backoffLeftMs: 11_200 })).toBe("backoff 12 s");
    expect(livePhase({ ...run, backoffLeftMs: -5 })).toBe("act (codex)");
    expect(livePhase({ ...run, phase: "done", status: "paused" })).toBe("paused");
    expect(livePhase({ ...run, phase: "done" })).toBe("between iterations");
    expect(livePhase({ ...run, phase: "done", status: "completed" })).toBe("finishing");
  });
});

describe("terminal text", () => {
  test("widths count wide characters twice; a cut ends in an ellipsis", () => {
    expect(displayWidth("日本")).toBe(4);
    expect(fitWidth("日本語のテキスト", 7)).toBe("日本語…");
    expect(fitWidth("abcdef", 6)).toBe("abcdef");
    expect(fitWidth("abc def", 5)).toBe("abc…");
    expect(fitWidth("abc", 0)).toBe("");
  });

  test("control codes go; one line is one line", () => {
    expect(stripControls("a\x1b[31mb\x07\r\nc\td\u202e")).toBe("a[31mb\nc d");
    expect(oneLine("  first\n\n  second\r\tthird  ")).toBe("first second third");
  });
});

describe("the agent's tool call as one line", () => {
  test("the tool and what it acts on, paths relative to the repository", () => {
    expect(describeToolCall({ tool: "Write", input: { file_path: "/work/repo/src/todo.ts", content: "x" } }, "/work/repo")).toBe(
      "Write src/todo.ts",
    );
    expect(describeToolCall({ tool: "Bash", input: { command: "npm test", description: "run tests" } }, "/work/repo")).toBe(
      "Bash npm test",
    );
    expect(describeToolCall({ tool: "write", input: { filePath: "/work/repo/a.ts" } }, "/work/repo/")).toBe("write a.ts");
    expect(describeToolCall({ tool: "Grep", input: { pattern: "TODO", path: "/work/repo" } })).toBe("Grep TODO");
    expect(describeToolCall({ tool: "TodoWrite", input: { todos: [] } })).toBe("TodoWrite");
    expect(describeToolCall({ tool: "exec_command", input: { command: "bash -lc 'cd /work/repo/x && make'" } }, "/work/repo")).toBe(
      "exec_command cd x && make",
    );
    expect(describeToolCall({ tool: "exec_command", input: { command: ["npm", "run", "build"] } })).toBe("exec_command npm run build");
    expect(
      describeToolCall(
        { tool: "apply_patch", input: { changes: [{ path: "/work/repo/a.ts" }, { path: "/work/repo/b.ts" }] } },
        "/work/repo",
      ),
    ).toBe("apply_patch a.ts (+1 more)");
  });

  test("secrets and the home directory are redacted; a heredoc is one line", () => {
    const key = `sk-ant-api03-${"Q7x9".repeat(10)}`;
    const line = describeToolCall({
      tool: "Bash",
      input: { command: `curl -H "x-api-key: ${key}" https://api.example.com\ncat <<EOF\nANTHROPIC_API_KEY=${key}\nEOF` },
    });
    expect(line).not.toContain("Q7x9");
    expect(line).toContain("[REDACTED:");
    expect(line).not.toContain("\n");
    expect(describeToolCall({ tool: "Read", input: { file_path: "/home/someone/.ssh/id_ed25519" } })).not.toContain("someone");
  });

  test("the agent's control codes never reach the line", () => {
    expect(describeToolCall({ tool: "Bash\x1b[2J", input: { command: "echo \x1b]0;title\x07hi\u202e" } })).toBe("Bash[2J echo ]0;titlehi");
  });
});
