// One MCP tool call is one `loki <command> --json` child: argv only (never a shell), in the repository,
// stdin closed, its stdout parsed as JSON. A tool cannot write to the protocol's stdout, change the
// server's directory or environment, or take the server down with it: its crash is the call's error.
import { run } from "../core/exec.ts";
import { selfCommand } from "../core/self.ts";

export type LokiCall = {
  /** The command's exit code (docs/exit-codes.md); null when it was killed or could not start. */
  code: number | null;
  /** Its --json output; null when stdout was not JSON. */
  json: unknown;
  /** Its stderr's last lines, for an error that printed no JSON. */
  stderr: string;
  timedOut: boolean;
};

export type CallOptions = {
  cwd: string;
  timeoutMs: number;
  signal?: AbortSignal;
};

/** Variables the server holds that no child needs: the HTTP bearer token above all. */
const WITHHELD = ["LOKI_MCP_TOKEN"];

export async function callLoki(args: readonly string[], options: CallOptions): Promise<LokiCall> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined };
  for (const name of WITHHELD) env[name] = undefined;
  const result = await run([...selfCommand(), ...args], {
    cwd: options.cwd,
    env,
    replaceEnv: true,
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return {
    code: result.exitCode,
    json: parseJson(result.stdout),
    stderr: lastLines(result.stderr, 20),
    timedOut: result.timedOut,
  };
}

/** The command's JSON result: all of stdout, or — after the event lines `start --json` streams first — the
 *  last JSON value in it (a pretty-printed object begins at a line's start). */
export function parseJson(text: string): unknown {
  const lines = text.trimEnd().split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]?.startsWith("{") && !lines[i]?.startsWith("[")) continue;
    // Tried from the top, so the first parse that spans to the end is the last whole value.
    const candidate = tryParse(lines.slice(i).join("\n"));
    if (candidate !== undefined) return candidate;
  }
  return null;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}
