// Real podman for the container tests: whether it can run here (else the reason to skip), the containers.conf
// it needs on this kind of machine, a busybox image built from scratch (never pulled), free ports, and a
// cleanup that removes everything a compose project left, whatever the test did.
//
// containers.conf minimum, verified on Debian 12 / podman 4.3.1 as root in a container (each setting off in turn):
//  - [engine] runtime = "runc": without it crun fails ("cgroups in hybrid mode not supported, drop all
//    controllers from cgroupv2") on this host's hybrid cgroup v1 + v2 mounts.
//  - [containers] default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]: without them runc fails
//    ("error setting rlimit type 7 / type 6: operation not permitted"): podman asks for RLIMIT_NOFILE (7) and
//    RLIMIT_NPROC (6) above the session's hard limits, which a root without CAP_SYS_RESOURCE cannot raise. Both
//    entries are needed; either alone fails on the other.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const TEST_IMAGE = "localhost/loki-test-busybox:1";
const APPLETS = ["sh", "httpd", "wget", "sleep", "echo", "cat", "nc", "false"];

const CONF = `[engine]
runtime = "runc"

[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
`;

let confPath: string | null = null;

/** The containers.conf above, written once per test file. */
export function containersConf(): string {
  if (confPath && existsSync(confPath)) return confPath;
  const dir = mkdtempSync(join(tmpdir(), "loki-podman-"));
  confPath = join(dir, "containers.conf");
  writeFileSync(confPath, CONF);
  return confPath;
}

/** What podman (and podman-compose through it) needs in its environment here. */
export function podmanEnv(): Record<string, string> {
  return { CONTAINERS_CONF: containersConf() };
}

/** A podman command, synchronously; for setup and cleanup only (the code under test uses core/exec). */
export function podman(args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const r = Bun.spawnSync(["podman", ...args], { env: { ...process.env, ...podmanEnv() }, stdin: "ignore" });
  return { ok: r.exitCode === 0, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

let ready: string | null | undefined;

/** null when the container tests can run here; else the reason they are skipped. */
export function podmanReady(): string | null {
  if (ready !== undefined) return ready;
  if (!Bun.which("podman")) ready = "podman is not installed";
  else if (!Bun.which("podman-compose")) ready = "podman-compose is not installed";
  else if (!existsSync("/bin/busybox")) ready = "/bin/busybox is absent (apt-get install busybox-static)";
  else if (!podman(["info", "--format", "{{.Host.OCIRuntime.Name}}"]).ok) ready = "podman info fails: podman cannot run here";
  else ready = null;
  return ready;
}

/** The test image: /bin/busybox, its applets and /www/index.html, imported from a tarball once per process. */
export function ensureTestImage(): string {
  if (podman(["image", "exists", TEST_IMAGE]).ok) return TEST_IMAGE;
  const dir = mkdtempSync(join(tmpdir(), "loki-rootfs-"));
  try {
    const rootfs = join(dir, "rootfs");
    for (const sub of ["bin", "www", "tmp", "etc"]) mkdirSync(join(rootfs, sub), { recursive: true });
    copyFileSync("/bin/busybox", join(rootfs, "bin", "busybox"));
    for (const applet of APPLETS) symlinkSync("busybox", join(rootfs, "bin", applet));
    writeFileSync(join(rootfs, "www", "index.html"), "loki test busybox\n");
    const tar = Bun.spawnSync(["tar", "-C", rootfs, "-cf", join(dir, "rootfs.tar"), "."]);
    if (tar.exitCode !== 0) throw new Error(`tar: ${tar.stderr}`);
    const imported = podman(["import", join(dir, "rootfs.tar"), TEST_IMAGE]);
    if (!imported.ok) throw new Error(`podman import: ${imported.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return TEST_IMAGE;
}

/** A port on 127.0.0.1 nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export const uniqueProject = () => `loki-test-${crypto.randomUUID().slice(0, 8)}`;

const byLabel = (kind: "ps" | "network" | "volume", project: string) => {
  const filter = `label=com.docker.compose.project=${project}`;
  const args = kind === "ps" ? ["ps", "-a", "-q", "--filter", filter] : [kind, "ls", "-q", "--filter", filter];
  return podman(args)
    .stdout.split("\n")
    .filter((x) => x.trim() !== "");
};

/** What is left of `project`: containers, networks, volumes. */
export function projectLeftovers(project: string): { containers: string[]; networks: string[]; volumes: string[] } {
  return { containers: byLabel("ps", project), networks: byLabel("network", project), volumes: byLabel("volume", project) };
}

/** Removes everything of `project` (and containers by name), even when the code under test failed to. */
export function cleanupProject(project: string, names: string[] = []): void {
  const { containers, networks, volumes } = projectLeftovers(project);
  const all = [...containers, ...names];
  if (all.length > 0) podman(["rm", "-f", "-i", "-t", "0", ...all]);
  if (networks.length > 0) podman(["network", "rm", "-f", ...networks]);
  if (volumes.length > 0) podman(["volume", "rm", "-f", ...volumes]);
}

/** GET `url`: its status, or 0 when nothing answered. */
export async function httpStatus(url: string): Promise<number> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await r.text();
    return r.status;
  } catch {
    return 0;
  }
}

/** Polls `check` until it is true or `ms` pass. */
export async function until(check: () => boolean | Promise<boolean>, ms: number, every = 200): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await Bun.sleep(every);
  }
  return check();
}
