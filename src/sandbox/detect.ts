// Is an OS sandbox usable here? Finds bwrap (Linux) or sandbox-exec (macOS) and runs a real probe
// with the exact isolation flags every agent call uses. Returns data for `loki doctor` and `loki start`.
import { existsSync, readFileSync } from "node:fs";
import { run } from "../core/exec.ts";
import { BWRAP_BASE, BWRAP_ISOLATION } from "./bwrap.ts";
import { SANDBOX_EXEC } from "./macos.ts";

export type SandboxKind = "bwrap" | "sandbox-exec";

export type SandboxAvailability = {
  available: boolean;
  kind: SandboxKind | null;
  /** The binary that will wrap agent calls. */
  path: string | null;
  version: string | null;
  /** Why not (or a caveat), in one sentence. */
  reason?: string;
  /** What to run or change to get one. */
  install?: string;
};

export type DetectOptions = {
  platform?: NodeJS.Platform;
  /** Where to look for bwrap (default: PATH). */
  pathEnv?: string;
  timeoutMs?: number;
};

const INSTALL_BWRAP = "apt-get install bubblewrap (Debian/Ubuntu) · dnf install bubblewrap (Fedora) · pacman -S bubblewrap (Arch)";

export async function detectSandbox(options: DetectOptions = {}): Promise<SandboxAvailability> {
  const platform = options.platform ?? process.platform;
  if (platform === "linux") return detectBwrap(options);
  if (platform === "darwin") return detectSandboxExec(options);
  return {
    available: false,
    kind: null,
    path: null,
    version: null,
    reason: `no OS sandbox for ${platform}: loki sandboxes agents with bubblewrap (Linux) or sandbox-exec (macOS)`,
    install: "run loki on Linux or macOS, or pass --no-sandbox (unsandboxed: held-out secrecy and state integrity not enforced)",
  };
}

async function detectBwrap(options: DetectOptions): Promise<SandboxAvailability> {
  const path = options.pathEnv === undefined ? Bun.which("bwrap") : Bun.which("bwrap", { PATH: options.pathEnv });
  if (path === null)
    return {
      available: false,
      kind: "bwrap",
      path: null,
      version: null,
      reason: "bubblewrap (bwrap) is not installed",
      install: INSTALL_BWRAP,
    };
  const timeoutMs = options.timeoutMs ?? 10_000;
  // Both started at once: neither needs the other, and a caller that goes on with synchronous work
  // (`loki plan` reading a spec) would only start a second one after it, when its event loop next runs.
  const [versionRun, probe] = await Promise.all([
    run([path, "--version"], { timeoutMs }),
    run([path, ...BWRAP_ISOLATION, ...BWRAP_BASE, "--chdir", "/", "--", "true"], { timeoutMs, cwd: "/" }),
  ]);
  const version = /(\d+\.\d+(?:\.\d+)?)/.exec(versionRun.stdout)?.[1] ?? null;
  if (probe.ok) return { available: true, kind: "bwrap", path, version };
  return {
    available: false,
    kind: "bwrap",
    path,
    version,
    ...explainProbeFailure(probe.stderr || probe.spawnError || "", version, readSysctls()),
  };
}

async function detectSandboxExec(options: DetectOptions): Promise<SandboxAvailability> {
  if (!existsSync(SANDBOX_EXEC))
    return {
      available: false,
      kind: "sandbox-exec",
      path: null,
      version: null,
      reason: `${SANDBOX_EXEC} is missing`,
      install: "sandbox-exec ships with macOS; restore it or pass --no-sandbox",
    };
  const probe = await run([SANDBOX_EXEC, "-p", "(version 1)\n(allow default)\n", "/usr/bin/true"], {
    timeoutMs: options.timeoutMs ?? 10_000,
  });
  if (probe.ok) return { available: true, kind: "sandbox-exec", path: SANDBOX_EXEC, version: null };
  return {
    available: false,
    kind: "sandbox-exec",
    path: SANDBOX_EXEC,
    version: null,
    reason: `sandbox-exec failed: ${firstLine(probe.stderr) || probe.digest}`,
    install: "check that sandbox-exec works in this session (it does not inside another sandbox)",
  };
}

export type Sysctls = {
  /** kernel.unprivileged_userns_clone (Debian/Ubuntu patch): "0" disables user namespaces. */
  unprivilegedUsernsClone: string | null;
  /** user.max_user_namespaces: "0" disables them. */
  maxUserNamespaces: string | null;
  /** kernel.apparmor_restrict_unprivileged_userns (Ubuntu 23.10+): "1" needs an AppArmor profile for bwrap. */
  apparmorRestrict: string | null;
};

export function readSysctls(): Sysctls {
  const read = (file: string) => {
    try {
      return readFileSync(file, "utf8").trim();
    } catch {
      return null;
    }
  };
  return {
    unprivilegedUsernsClone: read("/proc/sys/kernel/unprivileged_userns_clone"),
    maxUserNamespaces: read("/proc/sys/user/max_user_namespaces"),
    apparmorRestrict: read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"),
  };
}

/** Why the probe failed, from bwrap's own message and the host's user-namespace switches (pure). */
export function explainProbeFailure(stderr: string, version: string | null, sysctls: Sysctls): { reason: string; install: string } {
  const said = firstLine(stderr.replace(/^bwrap: /, "")) || "no message";
  if (/unknown option|unrecognized option/i.test(stderr)) {
    return {
      reason: `bubblewrap ${version ?? "(unknown version)"} is too old (${said}); loki needs 0.8.0 or later for --disable-userns`,
      install: `upgrade bubblewrap: ${INSTALL_BWRAP}`,
    };
  }
  if (sysctls.maxUserNamespaces === "0") {
    return {
      reason: `bwrap cannot create a user namespace (${said}): user.max_user_namespaces is 0`,
      install: "sysctl -w user.max_user_namespaces=15000 (and persist it in /etc/sysctl.d/)",
    };
  }
  if (sysctls.unprivilegedUsernsClone === "0") {
    return {
      reason: `bwrap cannot create a user namespace (${said}): kernel.unprivileged_userns_clone is 0`,
      install: "sysctl -w kernel.unprivileged_userns_clone=1 (and persist it in /etc/sysctl.d/)",
    };
  }
  if (sysctls.apparmorRestrict === "1") {
    return {
      reason: `bwrap cannot create a user namespace (${said}): AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1)`,
      install:
        "give /usr/bin/bwrap an AppArmor profile that allows user namespaces: /etc/apparmor.d/bwrap containing `abi <abi/4.0>, include <tunables/global> profile bwrap /usr/bin/bwrap flags=(unconfined) { userns, }`, then apparmor_parser -r /etc/apparmor.d/bwrap",
    };
  }
  if (/namespace|uid map|Operation not permitted|Permission denied|ENOSPC/i.test(stderr)) {
    return {
      reason: `bwrap cannot create its namespaces (${said}): user namespaces are disabled here — inside a container, or nested in another sandbox`,
      install:
        "allow user namespaces for this container (e.g. docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined), or run loki on the host",
    };
  }
  return {
    reason: `bwrap failed its probe: ${said}`,
    install: `check that \`bwrap --ro-bind / / --unshare-user --unshare-pid true\` works; ${INSTALL_BWRAP}`,
  };
}

function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "") ?? ""
  );
}
