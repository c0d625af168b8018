// `loki version [--json]`: the version of loki and of the Bun runtime it runs on.
import pkg from "../../package.json" with { type: "json" };
import { out, outJson } from "../core/log.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";

export async function runVersion(options: { json?: boolean }): Promise<ExitCode> {
  const bun = typeof Bun === "undefined" ? null : Bun.version;
  if (options.json) outJson({ version: pkg.version, bun, platform: `${process.platform}-${process.arch}` });
  else out(`loki ${pkg.version}`);
  return COMMAND_EXIT.ok;
}
