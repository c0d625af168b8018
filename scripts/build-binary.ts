// Builds the single-file executable (`bun run build` → dist/loki): src/cli.ts compiled with bytecode,
// split so the entry loads the commander program only when it must (src/cli.ts), the piped root help
// built in (scripts/piped-help.ts), and neither a bunfig.toml nor a .env read from where it runs.
import { pipedHelp } from "./piped-help.ts";

const outfile = process.argv[2] ?? `${import.meta.dir}/../dist/loki`;
const result = await Bun.build({
  entrypoints: [`${import.meta.dir}/../src/cli.ts`],
  compile: { outfile, autoloadDotenv: false, autoloadBunfig: false },
  bytecode: true,
  minify: true,
  format: "esm",
  splitting: true,
  define: { LOKI_HELP: JSON.stringify(await pipedHelp()) },
});
if (!result.success) {
  console.error(`bun build --compile src/cli.ts failed:\n${result.logs.map(String).join("\n")}`);
  process.exit(1);
}
console.log(`built ${outfile}`);
