// Builds the CLI the package ships: src/cli.ts and everything it imports as one Bun bytecode bundle
// (dist/cli/cli.js, pre-parsed into cli.js.jsc), which starts in about three quarters of the sources'
// CPU time, with the piped root help built in (piped-help.ts). `npm pack` runs it (prepack); the test
// suite builds one per source content the same way.
import { pipedHelp } from "./piped-help.ts";

/** Writes cli.js and cli.js.jsc into `outdir`; throws with Bun's messages when the build fails. */
export async function buildCli(outdir: string): Promise<void> {
  const result = await Bun.build({
    entrypoints: [`${import.meta.dir}/../src/cli.ts`],
    outdir,
    target: "bun",
    // Bun writes bytecode for ESM only inside a compiled executable; a CommonJS bundle carries it.
    format: "cjs",
    bytecode: true,
    // src/core/self.ts: where the running code lies, asked of Bun.main (import.meta.dir would be this machine's).
    define: { LOKI_BUNDLE: "true", LOKI_HELP: JSON.stringify(await pipedHelp()) },
  });
  if (!result.success) throw new Error(`bun build src/cli.ts failed:\n${result.logs.map(String).join("\n")}`);
}

if (import.meta.main) {
  const outdir = process.argv[2] ?? `${import.meta.dir}/../dist/cli`;
  await buildCli(outdir);
}
