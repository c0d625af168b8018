// The root help exactly as the program prints it to a pipe (80 columns, no TTY), rendered by running
// the sources: both builds define it as LOKI_HELP, so a piped `loki --help` (an agent reading it) is
// answered by the entry (src/commands/instant.ts) without loading the program.
import { tmpdir } from "node:os";

const SOURCE = `${import.meta.dir}/../src/cli.ts`;

/** `loki --help` as printed to a pipe; throws when `loki help`, `-h` or a bare `loki` would print other bytes. */
export async function pipedHelp(): Promise<string> {
  const printed = await Promise.all([["--help"], ["help"], ["-h"], []].map(printedBy));
  if (new Set(printed).size !== 1)
    throw new Error("loki --help, help, -h and a bare loki print different help; the entry cannot answer them alike");
  return printed[0] as string;
}

async function printedBy(args: string[]): Promise<string> {
  const proc = Bun.spawn([process.execPath, "--no-env-file", SOURCE, ...args], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir() },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0 || out === "") throw new Error(`loki ${args.join(" ")} exited ${code}: ${err}`);
  return out;
}
