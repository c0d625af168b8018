// The CLI as the package ships it (scripts/build-cli.ts: one Bun bytecode bundle), built from this
// checkout's current sources once per content into dist/cli-<hash>/ — never stale, shared by test
// files and parallel workers. Tests start loki from it: about three quarters of the sources' CPU time.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..", "..");
/** Everything the bundle is made of: Bun inlines the text and JSON imports from these too, and the
 *  dependencies package-lock.json pins. */
const INPUTS = ["src", "templates", "skills", "package.json", "package-lock.json", "scripts/build-cli.ts", "scripts/piped-help.ts"];
const STALE_MS = 60 * 60_000;

let built: string | undefined;

/** dist/cli-<hash>/cli.js for the sources as they are now; built first if it is not there yet. */
export function cliBundle(): string {
  if (built) return built;
  const dir = join(ROOT, "dist", `cli-${contentHash()}`);
  const entry = join(dir, "cli.js");
  if (!existsSync(entry)) build(dir);
  built = entry;
  return entry;
}

function contentHash(): string {
  const hash = new Bun.CryptoHasher("sha256");
  hash.update(`${Bun.version} ${Bun.revision}\0`);
  const files: string[] = [];
  const walk = (path: string) => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    else files.push(path);
  };
  for (const input of INPUTS) walk(join(ROOT, input));
  for (const file of files.sort())
    hash
      .update(`${relative(ROOT, file)}\0`)
      .update(readFileSync(file))
      .update("\0");
  return hash.digest("hex").slice(0, 16);
}

/** Built by scripts/build-cli.ts (as `npm pack` builds it) into a private directory, then renamed into
 *  place: a worker that loses the race finds the winner's bundle and drops its own. */
function build(dir: string): void {
  const tmp = join(ROOT, "dist", `.cli-${process.pid}-${Date.now()}`);
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  const script = join(ROOT, "scripts", "build-cli.ts");
  const result = Bun.spawnSync([process.execPath, script, tmp], { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`${script} failed:\n${result.stderr.toString()}${result.stdout.toString()}`);
  try {
    renameSync(tmp, dir);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, "cli.js"))) throw error;
  }
  prune(dir);
}

/** Bundles of earlier sources, once nobody can still be running them. */
function prune(keep: string): void {
  const dist = join(ROOT, "dist");
  for (const name of readdirSync(dist)) {
    const path = join(dist, name);
    if (path !== keep && /^(cli-[0-9a-f]{16}|\.cli-\d+-\d+)$/.test(name) && Date.now() - statSync(path).mtimeMs > STALE_MS)
      rmSync(path, { recursive: true, force: true });
  }
}
