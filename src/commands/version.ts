// `loki version [--json]`: the version of loki and of the Bun runtime it runs on. Light on purpose:
// the entry (src/cli.ts, via commands/instant.ts) prints it before the commander program loads.
import pkg from "../../package.json" with { type: "json" };
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { writeOut } from "../core/stdio.ts";

/** What `loki version` prints (also `-v`, `--version`); with json, the versions as JSON. */
export function versionText(json = false): string {
  if (!json) return `loki ${pkg.version}\n`;
  const bun = typeof Bun === "undefined" ? null : Bun.version;
  return `${JSON.stringify({ version: pkg.version, bun, platform: `${process.platform}-${process.arch}` }, null, 2)}\n`;
}

export async function runVersion(options: { json?: boolean }): Promise<ExitCode> {
  writeOut(versionText(options.json));
  return COMMAND_EXIT.ok;
}
