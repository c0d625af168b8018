// The one entry point that puts an agent command in the sandbox: resolves the policy's paths on this
// host (symlinks, what exists) and returns the argv and env to hand to core/exec's run(). No spawn.
import { realpathSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { internalError } from "../core/errors.ts";
import type { PathKind } from "./bwrap.ts";
import { bwrapArgv } from "./bwrap.ts";
import type { SandboxKind } from "./detect.ts";
import { sandboxExecArgv } from "./macos.ts";
import type { SandboxPolicy } from "./policy.ts";

export type SandboxEnv = Record<string, string | undefined>;
export type SandboxedCommand = { kind: SandboxKind; argv: string[]; env: SandboxEnv };
export type WrapOptions = {
  platform?: NodeJS.Platform;
  /** The bwrap binary detect.ts found (default: `bwrap` on PATH). */
  bwrap?: string;
};

/**
 * `IS_SANDBOX=1` tells Claude Code that loki supplies the sandbox, so its bypass mode runs as root.
 * TMPDIR: the private /tmp on Linux; the scratch dir on macOS, where /tmp is shared and read-only.
 */
export function sandboxCommand(policy: SandboxPolicy, argv: string[], env: SandboxEnv, options: WrapOptions = {}): SandboxedCommand {
  if (argv.length === 0) throw internalError("sandboxCommand: empty argv");
  const platform = options.platform ?? process.platform;
  const { resolved, kinds } = resolvePolicy(policy);
  if (platform === "linux") {
    return { kind: "bwrap", argv: bwrapArgv(resolved, argv, kinds, options.bwrap), env: { ...env, IS_SANDBOX: "1", TMPDIR: "/tmp" } };
  }
  if (platform === "darwin") {
    return { kind: "sandbox-exec", argv: sandboxExecArgv(resolved, argv), env: { ...env, IS_SANDBOX: "1", TMPDIR: resolved.scratch } };
  }
  throw internalError(`no sandbox on ${platform}: loki start should have refused (see detectSandbox)`);
}

/**
 * Mounts and Seatbelt rules apply to real paths: a hidden ~/.loki that is a symlink is hidden where
 * it points, and on macOS /tmp is /private/tmp. A missing path resolves through its nearest
 * existing ancestor.
 */
export function resolvePolicy(policy: SandboxPolicy): { resolved: SandboxPolicy; kinds: Map<string, PathKind> } {
  const kinds = new Map<string, PathKind>();
  const resolve = (path: string) => {
    const real = realPath(path);
    if (!kinds.has(real)) kinds.set(real, kindOf(real));
    return real;
  };
  const resolved: SandboxPolicy = {
    ...policy,
    cwd: resolve(policy.cwd),
    scratch: resolve(policy.scratch),
    writable: policy.writable.map(resolve),
    readOnly: policy.readOnly.map(resolve),
    hidden: policy.hidden.map(resolve),
  };
  return { resolved, kinds };
}

export function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPath(parent), basename(path));
  }
}

function kindOf(path: string): PathKind {
  try {
    return statSync(path).isDirectory() ? "dir" : "file";
  } catch {
    return "missing";
  }
}
