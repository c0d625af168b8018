#!/usr/bin/env node
// The `loki` command: a plain-JS launcher (Node >= 18, or Bun) that finds the Bun binary installed with
// the package and runs loki on it (the sources in a checkout, the package's bytecode bundle once
// installed), passing argv, stdio, signals and the exit status through.
// It never lets Bun read the working directory's bunfig.toml or .env (a coding agent may write them).
import { spawn } from "node:child_process";
import { accessSync, closeSync, constants, existsSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { constants as osConstants } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
// A checkout runs its sources; the package ships only the bundle `npm pack` builds (build:cli): one
// file of pre-parsed bytecode, which starts in about three quarters of the sources' CPU time.
const SOURCE = join(ROOT, "src", "cli.ts");
const CLI = existsSync(SOURCE) ? SOURCE : join(ROOT, "dist", "cli", "cli.js");
// Bun loads ./bunfig.toml (whose `preload` runs code first) and ./.env* from the working directory —
// the repository under verification. An explicit, empty config and no env files keep both out.
const RUNTIME_ARGS = ["--no-env-file", `--config=${join(ROOT, "bin", "loki.bunfig.toml")}`];
const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"];
const EXE = process.platform === "win32" ? "bun.exe" : "bun";
// ELF, Mach-O (64-bit, both byte orders; universal), PE. Bun's npm placeholder is a shell script.
const MAGIC = [
  [0x7f, 0x45, 0x4c, 0x46],
  [0xcf, 0xfa, 0xed, 0xfe],
  [0xfe, 0xed, 0xfa, 0xcf],
  [0xca, 0xfe, 0xba, 0xbe],
  [0x4d, 0x5a],
];

/** The npm package that carries Bun's binary for this machine: `bun` lists one per platform as an
 *  optional dependency and npm installs the one whose os/cpu/libc match (musl or glibc on Linux). */
function platformPackages() {
  const os = { darwin: "darwin", linux: "linux", android: "linux", freebsd: "freebsd", win32: "windows" }[process.platform];
  const arch = { x64: "x64", arm64: "aarch64" }[process.arch];
  if (!os || !arch) return [];
  const base = `@oven/bun-${os}-${arch}`;
  return process.platform === "android" ? [`${base}-android`] : [base, `${base}-musl`];
}

/** A native executable (not a script or a placeholder) that this user may run. */
function isNativeExecutable(file) {
  try {
    if (!statSync(file).isFile()) return false;
    if (process.platform !== "win32") accessSync(file, constants.X_OK);
    const head = Buffer.alloc(4);
    const fd = openSync(file, "r");
    try {
      readSync(fd, head, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
    return MAGIC.some((magic) => magic.every((byte, i) => head[i] === byte));
  } catch {
    return false;
  }
}

/** `name`'s directory as Node resolves it from `from` (a file), or null. */
function packageDir(name, from) {
  try {
    return dirname(createRequire(from).resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

/**
 * Where Bun is, in order: the platform package of loki's own `bun` dependency (resolved from `bun`'s
 * location, then from loki's — global prefix, npx cache, a project's node_modules and pnpm all lay
 * them out differently); `bun/bin/bun.exe` once bun's postinstall has moved the binary there; a Bun
 * on PATH (optional dependencies left out). The postinstall may never have run: --ignore-scripts,
 * npm's allowScripts policy in strict mode, and other package managers skip it.
 */
function findBun() {
  const self = fileURLToPath(import.meta.url);
  const bunPackage = packageDir("bun", self);
  const candidates = [];
  for (const from of bunPackage ? [join(bunPackage, "package.json"), self] : [self])
    for (const name of platformPackages()) {
      const dir = packageDir(name, from);
      if (dir) candidates.push(join(dir, "bin", EXE));
    }
  if (bunPackage) candidates.push(join(bunPackage, "bin", "bun.exe"));
  for (const dir of (process.env.PATH ?? "").split(delimiter)) if (dir) candidates.push(join(dir, EXE));
  return candidates.find(isNativeExecutable) ?? null;
}

function missingBun() {
  const wanted = platformPackages()[0] ?? `Bun for ${process.platform}-${process.arch}`;
  return [
    "loki: cannot find the Bun runtime loki runs on.",
    `It is installed with loki as ${wanted} (an optional dependency of the \`bun\` package), which is`,
    "missing when optional dependencies were left out (--omit=optional, --no-optional).",
    "Reinstall loki: npm install -g loki-cli   (or, in a project: npm install loki-cli)",
    "or install Bun itself (https://bun.sh) and put it on PATH.",
  ].join("\n");
}

/** Runs the CLI on `bun` and ends this process the way the CLI's ended (code, or signal). */
function run(bun) {
  const child = spawn(bun, [...RUNTIME_ARGS, CLI, ...process.argv.slice(2)], { stdio: "inherit" });
  // A terminal's Ctrl+C reaches the child too (same process group): loki's handlers are idempotent.
  const forward = (signal) => child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  child.on("error", (error) => {
    process.stderr.write(`loki: could not start Bun at ${bun}: ${error.message}\n`);
    process.exitCode = 3;
  });
  child.on("exit", (code, signal) => {
    for (const name of FORWARDED) process.off(name, forward);
    if (code !== null) {
      process.exitCode = code;
      return;
    }
    // Die of the same signal, so a parent (a shell, CI) sees what killed loki.
    process.exitCode = 128 + (osConstants.signals[signal] ?? 0);
    process.kill(process.pid, signal);
  });
}

// Under Bun already (`bunx --bun`, `bun bin/loki.js`): the running Bun is the runtime.
const bun = process.versions.bun ? realpathSync(process.execPath) : findBun();
if (bun) run(bun);
else {
  process.stderr.write(`${missingBun()}\n`);
  process.exitCode = 3;
}
