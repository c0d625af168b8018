// What a real `loki start` prints on stderr, driven by the scripted fake agent: without a TTY plain
// lines with not one control code and one compact line per iteration (--verbose adds every gate's);
// under a pseudo-terminal (util-linux `script`) the live line with k/N and the agent's tool call.
import { describe, expect, test } from "bun:test";
import { NO_COUNCIL, scenarioRepo, type Scenario } from "../helpers/scenario.ts";
import { cliBundle } from "../helpers/cli-bundle.ts";

const CLI = cliBundle();
const COMPACT = /^iteration (\d+)\/(\d+) · \d+ s · \$\d+\.\d\d \(run \$\d+\.\d\d\) · .*gates: /;
const PER_GATE = /^ {2}gate [\w-]+: /;

function expectPlain(stderr: string): void {
  expect(stderr).not.toContain("\x1b");
  expect(stderr).not.toContain("\r");
}

function gateEvents(s: Scenario): number {
  return s.events().filter((e) => e.kind === "gate_result").length;
}

describe("the run's terminal output", () => {
  test("plain: exactly one compact line per iteration, no per-gate lines, no control codes", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    const result = await s.loki(["start", "prd.md", "--max-iterations", "4"]);
    expect(result.code).toBe(0);
    expectPlain(result.stderr);
    const lines = result.stderr.split("\n");
    const compact = lines.filter((line) => line.startsWith("iteration "));
    expect(compact).toHaveLength(s.completion().iterations);
    expect(compact.map((line) => COMPACT.exec(line)?.slice(1, 3))).toEqual([
      ["1", "4"],
      ["2", "4"],
    ]);
    expect(compact[0]).toMatch(/ · checkpoint [0-9a-f]{10} · gates: \d+ pass/);
    expect(lines.filter((line) => PER_GATE.test(line))).toEqual([]);
    expect(lines.filter((line) => line.startsWith("  agent ") || line.startsWith("  checkpoint "))).toEqual([]);
    expect(result.stderr).toContain("ship gate (the agent claimed done): VERIFIED");
    expect(result.stderr).toContain("finished: verified (exit 0)");
  });

  test("plain --verbose: every gate's line as well, still one compact line per iteration", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    const result = await s.loki(["start", "prd.md", "--verbose"]);
    expect(result.code).toBe(0);
    expectPlain(result.stderr);
    const lines = result.stderr.split("\n");
    expect(lines.filter((line) => line.startsWith("iteration ") && line.includes(" · "))).toHaveLength(2);
    expect(lines.filter((line) => PER_GATE.test(line))).toHaveLength(gateEvents(s));
    expect(gateEvents(s)).toBeGreaterThan(2);
    expect(lines).toContain("  gate tests: pass");
    expect(lines.filter((line) => line.startsWith("  agent finished in "))).toHaveLength(2);
  });

  test("--quiet: nothing on stderr and the summary's one line on stdout; given before the command too", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    const result = await s.loki(["-q", "start", "prd.md"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const c = s.completion();
    expect(result.stdout).toBe(`loki run ${c.run_id}: VERIFIED — ${c.reason}\n`);
  });

  test("on a TTY: the live line shows k/N and the agent's tool call, never wider than the terminal", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...s.env })) if (v !== undefined && k !== "CI") env[k] = v;
    const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;
    const command = `stty cols 90 rows 30; exec ${[process.execPath, CLI, "start", "prd.md", "--max-iterations", "3"].map(quote).join(" ")}`;
    const proc = Bun.spawn(["script", "-qfec", command, "/dev/null"], {
      cwd: s.path,
      env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const [screen, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(code).toBe(0);
    expect(s.completion().outcome).toBe("verified");
    // Each redraw clears the line first; the summary (stdout) comes after the last clear.
    const drawn = screen.split("\r\x1b[2K").filter((segment) => /^loki(?: \d+\/\d+)? · /.test(segment));
    expect(drawn.some((line) => line.startsWith("loki 1/3 · act (claude) · $0.00 · "))).toBe(true);
    expect(drawn.some((line) => line.startsWith("loki 1/3 · ") && line.endsWith(" · Write math.js"))).toBe(true);
    expect(drawn.some((line) => line.startsWith("loki 2/3 · "))).toBe(true);
    for (const line of drawn) {
      expect(line).not.toContain("\n");
      expect(Bun.stringWidth(line)).toBeLessThanOrEqual(89);
    }
    expect(screen).toMatch(/\r\x1b\[2Kiteration 1\/3 · \d+ s · /);
    expect(screen).not.toMatch(/ {2}gate [\w-]+: /);
  });
});
