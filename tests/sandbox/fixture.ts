// A throwaway world for sandbox tests: a HOME with loki's secrets and a provider's state, a git repo
// with its own .loki/, loki's "installation", a scratch dir — and `inside()` to run a script there.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { ExecOptions, ExecResult } from "../../src/core/exec.ts";
import { run } from "../../src/core/exec.ts";
import type { SandboxRole } from "../../src/sandbox/policy.ts";
import { sandboxPolicy, standardHidden, standardReadOnly } from "../../src/sandbox/policy.ts";
import type { SandboxedCommand } from "../../src/sandbox/wrap.ts";
import { sandboxCommand } from "../../src/sandbox/wrap.ts";
import { git } from "../helpers/tmp.ts";

/** This checkout: the scripts run inside import loki's own modules from it. */
const PROJECT = resolve(import.meta.dir, "..", "..");

export type SandboxWorld = {
  root: string;
  home: string;
  repo: string;
  scratch: string;
  /** Stands in for loki's own installation (read-only). */
  install: string;
  /** A provider state dir (writable) holding the provider's binary (read-only). */
  claudeDir: string;
  providerBin: string;
  heldout: string;
  /** Runs `sh -c script` sandboxed in `role`, cwd = the repo (or `at`), HOME = the world's home. */
  inside: (role: SandboxRole, script: string, options?: InsideOptions) => Promise<ExecResult>;
  /** The sandboxed argv and env of `sh -c script`, to launch some other way. */
  wrap: (role: SandboxRole, script: string) => SandboxedCommand;
  read: (path: string) => string;
  [Symbol.asyncDispose]: () => Promise<void>;
};

/** `at`: another working tree to give the agent (e.g. a review worktree under the repo's .loki/). */
export type InsideOptions = ExecOptions & { at?: string };

export const SECRET = "held-out: the export must be signed";

export async function sandboxWorld(): Promise<SandboxWorld> {
  const root = mkdtempSync(join(tmpdir(), "loki-sbx-"));
  const home = join(root, "home");
  const repo = join(root, "repo");
  const scratch = join(root, "scratch");
  const install = join(root, "loki-install");
  const claudeDir = join(home, ".claude");
  const providerBin = join(claudeDir, "local", "claude");
  const heldout = join(home, ".loki", "heldout", "proj", "run-1.json");
  const write = (path: string, text: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    if (text.startsWith("#!")) chmodSync(path, 0o755);
  };
  write(heldout, JSON.stringify({ items: [SECRET] }));
  write(join(home, ".loki", "keys", "signing.key"), "PRIVATE KEY\n");
  write(join(home, ".bashrc"), "# the user's rc\n");
  write(join(home, ".gitconfig"), "[user]\n\tname = loki-test\n\temail = test@loki.invalid\n[commit]\n\tgpgsign = false\n");
  write(join(claudeDir, "settings.json"), "{}\n");
  write(providerBin, "#!/bin/sh\necho real claude\n");
  write(join(install, "src", "gates", "tests.ts"), "export const grade = () => 'strict';\n");
  mkdirSync(scratch, { recursive: true });
  write(join(repo, "src", "app.ts"), "export const answer = 42;\n");
  git(repo, ["init", "-q"]);
  git(repo, ["add", "-A"]);
  git(repo, ["commit", "-qm", "initial"]);
  write(join(repo, ".git", "hooks", "pre-commit"), "#!/bin/sh\nexit 0\n");
  write(join(repo, ".loki", ".gitignore"), "*\n");
  write(join(repo, ".loki", "state", "orchestrator.json"), '{"phase":"act"}\n');

  const policy = (role: SandboxRole, at: string) =>
    sandboxPolicy({
      role,
      repo: at,
      scratch,
      providerStateDirs: [claudeDir],
      hidden: [...standardHidden(home, repo), join(at, ".loki")],
      // As loki's own runs do (loop/sandbox.ts lokiCodePaths), the runtime and this checkout stay
      // visible read-only even when they live under /tmp, which the sandbox makes private.
      readOnly: [...standardReadOnly(home), install, providerBin, process.execPath, PROJECT],
    });
  const wrapAt = (role: SandboxRole, script: string, at: string, env: ExecOptions["env"] = {}) =>
    sandboxCommand(policy(role, at), ["sh", "-c", script], { ...env, HOME: home, GIT_CONFIG_GLOBAL: join(home, ".gitconfig") });
  const inside = (role: SandboxRole, script: string, options: InsideOptions = {}) => {
    const { at = repo, ...exec } = options;
    const command = wrapAt(role, script, at, exec.env);
    return run(command.argv, { ...exec, env: command.env, cwd: at });
  };
  return {
    root,
    home,
    repo,
    scratch,
    install,
    claudeDir,
    providerBin,
    heldout,
    inside,
    wrap: (role, script) => wrapAt(role, script, repo),
    read: (path) => readFileSync(path, "utf8"),
    [Symbol.asyncDispose]: async () => rmSync(root, { recursive: true, force: true }),
  };
}
