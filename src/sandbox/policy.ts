// The sandbox policy of one agent call (pure): what the role may write, may only read, and must not
// see, and the ordered mount plan both generators (bwrap.ts, macos.ts) read. No I/O here.
import { existsSync } from "node:fs";
import { isAbsolute, join, normalize } from "node:path";
import { internalError } from "../core/errors.ts";

/** Council reviewers and the devil's advocate are `review`; the held-out judge is `judge`. */
export type SandboxRole = "build" | "review" | "judge";

export type PolicyInput = {
  role: SandboxRole;
  /** The working tree the agent works in (its cwd): writable for build, read-only otherwise. */
  repo: string;
  /** The agent's own scratch dir: always writable. */
  scratch: string;
  /**
   * The provider CLI's own state (e.g. ~/.claude, ~/.claude.json, ~/.codex): always writable. A
   * writable path must exist to be mounted — create ~/.claude.json before Claude Code's first call.
   */
  providerStateDirs: string[];
  /** Must not be visible at all: ~/.loki, loki's private run dir, the repo's .loki/. */
  hidden: string[];
  /** Must stay read-only even inside a writable path: loki's installation, provider binaries, … */
  readOnly: string[];
  /** A linked worktree's shared git dir (`git rev-parse --git-common-dir`): git must work for build. */
  gitCommonDir?: string;
};

export type SandboxPolicy = {
  role: SandboxRole;
  cwd: string;
  /** Also in `writable`; named for TMPDIR where no private /tmp exists (macOS). */
  scratch: string;
  writable: string[];
  readOnly: string[];
  hidden: string[];
  /** The model API may be on the host's 127.0.0.1 (local models, the tests' fake APIs). */
  network: "host";
  /** Nothing the call starts outlives it. */
  pidNamespace: true;
};

export type Access = "write" | "read" | "hidden";
export type Mount = { path: string; access: Access };

export function sandboxPolicy(input: PolicyInput): SandboxPolicy {
  const build = input.role === "build";
  const git = input.gitCommonDir === undefined ? [] : [input.gitCommonDir];
  const writable = [input.scratch, ...input.providerStateDirs, ...(build ? [input.repo, ...git] : [])];
  const readOnly = [...input.readOnly, ...(build ? [] : [input.repo, ...git])];
  return {
    role: input.role,
    cwd: absolute(input.repo),
    scratch: absolute(input.scratch),
    writable: unique(writable.map(absolute)),
    readOnly: unique(readOnly.map(absolute)),
    hidden: unique(input.hidden.map(absolute)),
    network: "host",
    pidNamespace: true,
  };
}

const PRECEDENCE: Record<Access, number> = { hidden: 3, read: 2, write: 1 };

/**
 * Every path with its access, shallowest first, one entry per path. The order is the contract: a
 * mount applied later lies on top, so the more specific path wins — the repo's `.loki/` (hidden)
 * covers the repo (writable), a provider binary (read-only) inside ~/.claude (writable) stays
 * read-only, and a review worktree under the hidden `.loki/tmp/` is visible again. The same path
 * named twice keeps the strictest access (hidden > read > write).
 */
export function mountPlan(policy: SandboxPolicy): Mount[] {
  const byPath = new Map<string, Access>();
  const add = (paths: string[], access: Access) => {
    for (const path of paths) {
      const current = byPath.get(path);
      if (current === undefined || PRECEDENCE[access] > PRECEDENCE[current]) byPath.set(path, access);
    }
  };
  add(policy.writable, "write");
  add(policy.readOnly, "read");
  add(policy.hidden, "hidden");
  return [...byPath]
    .map(([path, access]) => ({ path, access }))
    .sort((a, b) => depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The access of the most specific mount containing `path` ("outside": only the read-only root). */
export function accessAt(plan: Mount[], path: string): Access | "outside" {
  let found: Access | "outside" = "outside";
  for (const mount of plan) if (within(path, mount.path)) found = mount.access;
  return found;
}

export function within(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`);
}

/**
 * What every role must not see: loki's home (held-out items, keys, caches), the run's private dir
 * and the repo's `.loki/` (loki's state, read back later as data).
 */
export function standardHidden(home: string, repo: string, privateRunDir?: string): string[] {
  return [join(home, ".loki"), join(repo, ".loki"), ...(privateRunDir === undefined ? [] : [privateRunDir])];
}

/**
 * Sockets through which a process gets more than the user's own rights: a container engine's (in the
 * docker group, `docker run -v /:/host` is root on the host). Only those that exist; each is hidden
 * (an empty file in its place), so nothing can connect to it.
 */
export function engineSockets(): string[] {
  return ["/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock", "/run/podman/podman.sock"].filter((p) =>
    existsSync(p),
  );
}

/** The user's runtime directory (/run/user/<uid>: the session bus, through which `systemd-run --user`
 *  starts a process outside any sandbox, and a rootless container engine's socket), when there is one. */
export function runtimeDir(): string[] {
  const uid = process.getuid?.();
  return uid === undefined || !existsSync(`/run/user/${uid}`) ? [] : [`/run/user/${uid}`];
}

/**
 * Read-only by name, so they stay read-only wherever they live: HOME itself (re-exposed when it
 * lies under the private /tmp, as in tests), git's global config and the shell start-up files.
 */
export function standardReadOnly(home: string): string[] {
  const files = [
    ".gitconfig",
    ".config/git",
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".profile",
    ".zshrc",
    ".zshenv",
    ".zprofile",
    ".config/fish",
  ];
  return [home, ...files.map((f) => join(home, f))];
}

function absolute(path: string): string {
  if (!isAbsolute(path)) throw internalError(`sandbox: path is not absolute: ${path}`);
  const clean = normalize(path);
  const trimmed = clean.length > 1 && clean.endsWith("/") ? clean.slice(0, -1) : clean;
  if (trimmed === "/") throw internalError("sandbox: the filesystem root cannot be a policy path");
  return trimmed;
}

const depth = (path: string) => path.split("/").length;
const unique = (paths: string[]) => [...new Set(paths)];
