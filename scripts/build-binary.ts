// Builds the single-file executable (`bun run build` → dist/loki): src/cli.ts compiled with bytecode,
// split so the entry loads the commander program only when it must (src/cli.ts), the piped root help
// built in (scripts/piped-help.ts), and neither a bunfig.toml nor a .env read from where it runs.
import { pipedHelp } from "./piped-help.ts";

/** `entry` compiled as dist/loki is (the startup bench builds its hello-world floor with it too). */
export async function compileBinary(entry: string, outfile: string, define: Record<string, string> = {}): Promise<void> {
  const result = await Bun.build({
    entrypoints: [entry],
    compile: { outfile, autoloadDotenv: false, autoloadBunfig: false },
    bytecode: true,
    minify: true,
    format: "esm",
    splitting: true,
    define,
  });
  if (!result.success) throw new Error(`bun build --compile ${entry} failed:\n${result.logs.map(String).join("\n")}`);
}

if (import.meta.main) {
  const outfile = process.argv[2] ?? `${import.meta.dir}/../dist/loki`;
  await compileBinary(`${import.meta.dir}/../src/cli.ts`, outfile, { LOKI_HELP: JSON.stringify(await pipedHelp()) });
  console.log(`built ${outfile}`);
}
