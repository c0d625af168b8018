// A sandbox policy as a bubblewrap argv (pure): read-only root, private /tmp, /dev and /proc, then
// the policy's mounts shallowest first. argv only — no shell ever sees a path or the command.
//
// Why bwrap directly and not @anthropic-ai/sandbox-runtime (srt, evaluated at 0.0.83): on Linux srt
// always puts the command in its own network namespace once `network` is configured (its config
// requires it; `allowLocalBinding` is ignored on Linux), so a model API on the host's 127.0.0.1 (local
// models, the tests' fake APIs) is unreachable; only an uninitialised, undocumented call keeps the
// host network. Its other rules map onto bwrap flags we can emit ourselves (denyRead → tmpfs,
// denyWrite inside allowWrite → ro-bind, --unshare-pid), while it adds a ripgrep walk of the repo per
// call, socat, fixed extra writable paths and a shell-string wrapper. This file is ~15 flags.
import type { SandboxPolicy } from "./policy.ts";
import { accessAt, mountPlan } from "./policy.ts";

/** What is at a path on the host (after realpath): a hidden file gets /dev/null, a dir a tmpfs. */
export type PathKind = "dir" | "file" | "missing";

/**
 * Namespaces and privileges, the same for every call (and for detect.ts's probe). Running as root
 * without a user namespace would leave the agent CAP_SYS_ADMIN: it could `umount` the tmpfs that
 * hides ~/.loki, or remount / read-write — hence --unshare-user with every capability dropped, and no
 * nested user namespace (whose own mount namespace could otherwise be used to peel mounts off).
 */
export const BWRAP_ISOLATION = [
  "--die-with-parent",
  "--new-session",
  "--unshare-pid",
  "--unshare-user",
  "--disable-userns",
  "--cap-drop",
  "ALL",
] as const;

/** Everything read-only; /tmp private (a writable tmpfs); a minimal /dev; /proc of the new PID namespace. */
export const BWRAP_BASE = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"] as const;

/**
 * The full argv. `kinds` says what exists on the host at each policy path: a missing writable or
 * read-only path is skipped; a missing hidden path gets a tmpfs only where the agent could otherwise
 * create it on the host (inside a writable mount; bwrap then leaves an empty directory there) —
 * elsewhere the read-only root or the private /tmp already keeps anything from reaching the host.
 */
export function bwrapArgv(policy: SandboxPolicy, argv: string[], kinds: ReadonlyMap<string, PathKind>, bwrap = "bwrap"): string[] {
  const plan = mountPlan(policy);
  const mounts: string[] = [];
  for (const mount of plan) {
    const kind = kinds.get(mount.path) ?? "missing";
    if (mount.access === "write" && kind !== "missing") mounts.push("--bind", mount.path, mount.path);
    if (mount.access === "read" && kind !== "missing") mounts.push("--ro-bind", mount.path, mount.path);
    if (mount.access !== "hidden") continue;
    if (kind === "dir") mounts.push("--tmpfs", mount.path);
    else if (kind === "file") mounts.push("--ro-bind", "/dev/null", mount.path);
    else if (creatableInside(plan, mount.path)) mounts.push("--tmpfs", mount.path);
  }
  return [bwrap, ...BWRAP_ISOLATION, ...BWRAP_BASE, ...mounts, "--chdir", policy.cwd, "--", ...argv];
}

/** Could the agent create this path on the host, were nothing mounted there? */
function creatableInside(plan: ReturnType<typeof mountPlan>, path: string): boolean {
  const parent = path.slice(0, path.lastIndexOf("/")) || "/";
  return accessAt(plan, parent) === "write";
}
