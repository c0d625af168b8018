// When `loki start` opens the dashboard on its own (src/run/dashboard-policy.ts): only an interactive
// foreground run, and each of the exceptions keeps it closed.
import { expect, test } from "bun:test";
import { autoOpenDashboard, type AutoOpenInput } from "../../src/run/dashboard-policy.ts";

const INTERACTIVE: AutoOpenInput = { env: {}, stdinIsTty: true, stderrIsTty: true, bg: false, json: false, dashboard: true };

test("an interactive foreground run opens the dashboard", () => {
  expect(autoOpenDashboard(INTERACTIVE)).toEqual({ open: true, why: "interactive run" });
  // A false CI flag and an SSH session with its own terminal still count as interactive.
  expect(autoOpenDashboard({ ...INTERACTIVE, env: { CI: "false" } }).open).toBe(true);
  expect(autoOpenDashboard({ ...INTERACTIVE, env: { SSH_CONNECTION: "10.0.0.1 5 10.0.0.2 22", SSH_TTY: "/dev/pts/1" } }).open).toBe(true);
});

test.each([
  ["--no-dashboard", { dashboard: false }],
  ["LOKI_NO_AUTO_OPEN=1", { env: { LOKI_NO_AUTO_OPEN: "1" } }],
  ["CI", { env: { CI: "true" } }],
  ["--bg", { bg: true }],
  ["--json", { json: true }],
  ["stdin is not a terminal", { stdinIsTty: false }],
  ["SSH without a terminal", { env: { SSH_CONNECTION: "10.0.0.1 5 10.0.0.2 22" } }],
  ["stderr is not a terminal", { stderrIsTty: false }],
] as const)("%s keeps it closed", (why, change) => {
  expect(autoOpenDashboard({ ...INTERACTIVE, ...change })).toEqual({ open: false, why });
});
