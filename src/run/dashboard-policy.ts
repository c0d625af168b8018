// When `loki start` opens the live dashboard on its own: interactive foreground runs only — never in
// CI, under --bg or --json, with piped stdin, over SSH without a terminal, or when the user said no.
// Pure: the caller passes the environment and what its streams are.

export type AutoOpenInput = {
  env: Record<string, string | undefined>;
  stdinIsTty: boolean;
  stderrIsTty: boolean;
  bg: boolean;
  json: boolean;
  /** false: --no-dashboard. */
  dashboard: boolean;
};

/** Whether `loki start` opens the dashboard on its own: interactive foreground runs only. */
export function autoOpenDashboard(input: AutoOpenInput): { open: boolean; why: string } {
  const { env } = input;
  if (!input.dashboard) return { open: false, why: "--no-dashboard" };
  if (env.LOKI_NO_AUTO_OPEN === "1") return { open: false, why: "LOKI_NO_AUTO_OPEN=1" };
  if (env.CI && env.CI !== "false" && env.CI !== "0") return { open: false, why: "CI" };
  if (input.bg) return { open: false, why: "--bg" };
  if (input.json) return { open: false, why: "--json" };
  if (!input.stdinIsTty) return { open: false, why: "stdin is not a terminal" };
  if ((env.SSH_CONNECTION || env.SSH_CLIENT) && !env.SSH_TTY) return { open: false, why: "SSH without a terminal" };
  if (!input.stderrIsTty) return { open: false, why: "stderr is not a terminal" };
  return { open: true, why: "interactive run" };
}
