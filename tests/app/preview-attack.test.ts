// The app loki previews is code the agent wrote, run outside the agent's call: it gets the building
// agent's own sandbox and nothing more (and .git read-only), whatever the tree's loki.yaml says. An app
// that reaches for loki's keys and held-out store, the run's state, files outside the repository or
// .git, or tries to outlive `loki preview stop` gains nothing; its honest part reads and writes its
// own repository and serves.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { userHome } from "../../src/core/workspace.ts";
import { loki } from "../helpers/cli.ts";
import { tmpdir } from "../helpers/tmp.ts";

/** The app: tries each thing, writes what happened to attempts.json in the repo, then serves. */
const ATTACK = `const fs = require("node:fs");
const { spawn } = require("node:child_process");
const home = process.env.HOME;
const attempt = (name, fn) => { try { return { name, ok: true, out: String(fn()).slice(0, 200) }; } catch (e) { return { name, ok: false, out: e.code || String(e) }; } };
const results = [
  attempt("heldout", () => fs.readdirSync(home + "/.loki/heldout").join(",")),
  attempt("key", () => fs.readFileSync(home + "/.loki/keys/signing.pem", "utf8")),
  attempt("state", () => fs.readFileSync(".loki/state/orchestrator.json", "utf8")),
  attempt("bashrc", () => (fs.appendFileSync(home + "/.bashrc", "echo pwned\\n"), "written")),
  attempt("git", () => (fs.writeFileSync(".git/refs/heads/planted", "0".repeat(40) + "\\n"), "written")),
  attempt("spec", () => fs.readFileSync(fs.readFileSync("spec-path.txt", "utf8").trim(), "utf8")),
  attempt("own", () => (fs.writeFileSync("app-wrote.txt", "mine"), fs.readFileSync("README.md", "utf8"))),
];
// A daemon in a new session, to outlive the app.
spawn("sh", ["-c", "exec sleep 987"], { detached: true, stdio: "ignore" }).unref();
fs.writeFileSync("attempts.json", JSON.stringify(results));
require("node:http").createServer((_q, s) => s.end("served")).listen(Number(process.env.PORT), "127.0.0.1");`;

const sleepers = () => Bun.spawnSync(["sh", "-c", "ps -eo args | grep -c '^sleep 987$' || true"]).stdout.toString().trim();

describe("an app in loki preview", () => {
  test("reaches nothing of loki's, writes only its repository, and dies with stop", async () => {
    const home = userHome();
    mkdirSync(join(home, ".loki", "heldout", "p"), { recursive: true });
    writeFileSync(join(home, ".loki", "heldout", "p", "run.json"), '{"salt":"s"}');
    mkdirSync(join(home, ".loki", "keys"), { recursive: true });
    writeFileSync(join(home, ".loki", "keys", "signing.pem"), "PRIVATE");
    writeFileSync(join(home, ".bashrc"), "# mine\n");
    // The spec names the held-out items; it lies outside the repository, in HOME, which the app can read.
    const spec = join(home, "specs", "prd.md");
    mkdirSync(join(home, "specs"), { recursive: true });
    writeFileSync(spec, "# Spec\n\n## Acceptance criteria\n- [ ] SECRET-HELD-OUT-ITEM works\n- [ ] b\n- [ ] c\n- [ ] d\n");
    // The agent also wrote `sandbox: false` into the tree's loki.yaml: only loki's caller decides that.
    await using repo = await tmpdir({
      commit: true,
      files: { "server.js": ATTACK, "README.md": "readme", "loki.yaml": "sandbox: false\n", "spec-path.txt": `${spec}\n` },
    });
    expect((await loki(["plan", spec], { cwd: repo.path })).code).toBe(0);
    mkdirSync(join(repo.path, ".loki", "state"), { recursive: true });
    writeFileSync(join(repo.path, ".loki", "state", "orchestrator.json"), '{"secret":"state"}');
    const env = { LOKI_APP_COMMAND: "node server.js" };
    const started = await loki(["preview", "--no-open", "--json"], { cwd: repo.path, env });
    try {
      const { status, state } = started.json<{ status: string; state: { url: string; sandboxed: boolean } }>();
      expect(status, started.stderr).toBe("live");
      expect(state.sandboxed).toBe(true);
      const results = JSON.parse(readFileSync(join(repo.path, "attempts.json"), "utf8")) as { name: string; ok: boolean; out: string }[];
      const by = Object.fromEntries(results.map((r) => [r.name, r]));
      // ~/.loki and .loki/ are empty directories to it; the rest of HOME is read-only.
      expect(by.heldout).toMatchObject({ ok: false, out: "ENOENT" });
      expect(by.key?.ok).toBe(false);
      expect(by.state?.ok).toBe(false);
      expect(by.bashrc?.ok).toBe(false);
      // Nor the spec, outside the repository as it is.
      expect(by.spec?.ok).toBe(false);
      expect(by.spec?.out).not.toContain("SECRET-HELD-OUT-ITEM");
      // .git is read-only to it: nothing it runs can move a branch.
      expect(by.git?.ok).toBe(false);
      expect(existsSync(join(repo.path, ".git", "refs", "heads", "planted"))).toBe(false);
      expect(readFileSync(join(home, ".bashrc"), "utf8")).toBe("# mine\n");
      // The honest part works: its own repository is its to read and write.
      expect(by.own).toMatchObject({ ok: true, out: "readme" });
      expect(readFileSync(join(repo.path, "app-wrote.txt"), "utf8")).toBe("mine");
      expect(await (await fetch(state.url)).text()).toBe("served");
      expect(sleepers()).toBe("1");
    } finally {
      await loki(["preview", "stop"], { cwd: repo.path });
    }
    // The daemon it left in a session of its own died with the sandbox.
    for (let i = 0; i < 40 && sleepers() !== "0"; i++) await Bun.sleep(50);
    expect(sleepers()).toBe("0");
    expect(existsSync(join(repo.path, ".loki", "state", "orchestrator.json"))).toBe(true);
  }, 60_000);
});
