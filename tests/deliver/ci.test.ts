// `loki ci build` → artifact → `loki ci deliver`, as the workflow's two jobs: two processes with their
// own HOMEs, a fake GitHub on 127.0.0.1, a bare origin and the scripted fake agent. Only a proof the CI
// key signed, for this issue's branch, gets pushed; a capped run's work lands on loki/wip-<n>.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync, sign } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { proofDigest } from "../../src/proof/sign.ts";
import { startFakeForge, type FakeForge } from "../helpers/fake-forge.ts";
import { NO_COUNCIL, PRD_MATH4, scenarioRepo, type Scenario } from "../helpers/scenario.ts";
import { git } from "../helpers/tmp.ts";
import { parse } from "yaml";
import { renderWorkflow } from "../../src/deliver/ci-workflow.ts";
import { fakeBinDir, loki } from "../helpers/cli.ts";
import { cliBundle } from "../helpers/cli-bundle.ts";
import { claudeWorkflow } from "../helpers/ci-workflow.ts";

const ISSUE_BODY = PRD_MATH4.split("\n").slice(2).join("\n");
/** The CI key of this file's runs: its HOME signs with it (a HOME keeps one key), as a runner with the secret would. */
const CI = generateKeyPairSync("ed25519");
const CI_PRIVATE = String(CI.privateKey.export({ type: "pkcs8", format: "pem" }));
const CI_PUBLIC = String(CI.publicKey.export({ type: "spki", format: "pem" }));

// The build job's HOME is a runner's: fresh (no key of its own, as on a hosted runner).
const fileHome = process.env.HOME ?? "";
beforeAll(() => {
  process.env.HOME = mkdtempSync(join(fileHome, "ci-runner-"));
});
afterAll(() => {
  process.env.HOME = fileHome;
});

type Setup = {
  s: Scenario;
  forge: FakeForge;
  origin: string;
  artifact: string;
  build: (extra?: string[], env?: Record<string, string>) => ReturnType<Scenario["loki"]>;
  [Symbol.asyncDispose]: () => Promise<void>;
};

async function setup(scenario: string, env: Record<string, string> = {}, config = ""): Promise<Setup> {
  const forge = await startFakeForge();
  forge.github.addRepo("acme/shop");
  forge.github.addIssue("acme/shop", 7, { title: "Math helpers", body: ISSUE_BODY });
  forge.gitlab.addProject("team/web/shop");
  forge.gitlab.addIssue("team/web/shop", 3, { title: "Math helpers", description: ISSUE_BODY });
  const s = await scenarioRepo(scenario, NO_COUNCIL + config, { ...forge.env, ...env }, PRD_MATH4);
  const origin = `${s.path}-origin.git`;
  git(s.path, ["clone", "--quiet", "--bare", s.path, origin]);
  git(s.path, ["remote", "add", "origin", origin]);
  git(s.path, ["fetch", "--quiet", "origin"]);
  const artifact = `${s.path}-artifact`;
  // The deliver job: a fresh full clone of origin and a HOME of its own (no signing key, no trust list).
  const checkout = `${s.path}-deliver`;
  const home = `${s.path}-deliver-home`;
  mkdirSync(home);
  git(s.path, ["clone", "--quiet", origin, checkout]);
  return {
    s,
    forge,
    origin,
    artifact,
    build: (extra = [], more = {}) =>
      s.loki(["ci", "build", "acme/shop#7", "--signing-key", keyFile(s), "--out", artifact, "--json", ...extra], more),
    [Symbol.asyncDispose]: async () => {
      await s[Symbol.asyncDispose]();
      await forge[Symbol.asyncDispose]();
      Bun.spawnSync(["rm", "-rf", origin, artifact, checkout, home, `${s.path}-runner`, `${s.path}-deliver-temp`, `${s.path}-bin`], {
        env: {},
      });
    },
  };
}

/** The CI key's private half as the workflow hands it over: a file, which `loki ci build` removes once read. */
function keyFile(s: Scenario): string {
  const path = `${s.path}-ci.key`;
  writeFileSync(path, CI_PRIVATE, { mode: 0o600 });
  return path;
}

/** `loki ci deliver` runs in the deliver job's checkout: the helper's cwd is the scenario, so run it there. */
async function deliverIn(t: Setup, args: string[] = ["--key", CI_PUBLIC], issue = "acme/shop#7") {
  const checkout = `${t.s.path}-deliver`;
  const home = `${t.s.path}-deliver-home`;
  return loki(["ci", "deliver", t.artifact, "--issue", issue, "--json", ...args], {
    cwd: checkout,
    env: { ...t.s.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config") },
  });
}

/** The workflow `loki ci install` writes, for this file's CI key. */
const WORKFLOW = parse(renderWorkflow(claudeWorkflow(CI_PUBLIC))) as {
  jobs: Record<string, { steps: { name?: string; run?: string; env?: Record<string, string> }[] }>;
};

/**
 * Runs one of the workflow's steps as the runner would: its `run:` script in bash, with its env, where each
 * `${{ }}` value is what GitHub would put there (`values`, by variable name) and `loki` is this checkout's.
 */
async function runStep(t: Setup, job: string, name: string, values: Record<string, string>, cwd: string, home: string) {
  const step = WORKFLOW.jobs[job]?.steps.find((st) => st.name === name);
  if (!step?.run) throw new Error(`no step "${name}" in job ${job}`);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(step.env ?? {})) env[key] = value.includes("${{") ? (values[key] ?? "") : value;
  const bin = fakeBinDir(`${t.s.path}-bin`, {
    loki: `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(cliBundle())} "$@"\n`,
  });
  const proc = Bun.spawn(["bash", "-e", "-c", step.run], {
    cwd,
    env: {
      ...t.s.env,
      ...env,
      PATH: `${bin}:${t.s.env.PATH}`,
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      GITHUB_REPOSITORY: "acme/shop",
      RUNNER_TEMP: values.RUNNER_TEMP ?? "",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** The branch's commit on origin, "" when origin has no such branch. */
const remoteHead = (origin: string, branch: string) =>
  Bun.spawnSync(["git", "rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], { cwd: origin, env: { PATH: process.env.PATH } })
    .stdout.toString()
    .trim();
const manifest = (t: Setup) => JSON.parse(readFileSync(join(t.artifact, "manifest.json"), "utf8"));

describe("loki ci: build and deliver as two jobs", () => {
  test("verified: the build packs a signed artifact with no token left for the agent; deliver pushes loki/issue-7 and opens the PR", async () => {
    await using t = await setup("ci-snoop");
    // The workflow's own build step: the issue number from the event, the secrets, the runner's temp dir.
    const runnerTemp = `${t.s.path}-runner`;
    mkdirSync(runnerTemp);
    const secrets = {
      ISSUE: "7",
      GITHUB_TOKEN: t.forge.env.GITHUB_TOKEN ?? "",
      ANTHROPIC_API_KEY: "test-key",
      LOKI_SIGNING_KEY: CI_PRIVATE,
      RUNNER_TEMP: runnerTemp,
      // The `issues` event's copy of the issue, as labelled.
      LOKI_ISSUE_EVENT: "issues",
      LOKI_ISSUE_TITLE: "Math helpers",
      LOKI_ISSUE_BODY: ISSUE_BODY,
    };
    const handed = await runStep(t, "build", "Hand loki the CI signing key", secrets, t.s.path, process.env.HOME ?? "");
    expect(handed.code, handed.stderr).toBe(0);
    expect(statSync(join(runnerTemp, "loki-signing.key")).mode & 0o777).toBe(0o600);
    const built = await runStep(t, "build", "Build the issue with loki", secrets, t.s.path, process.env.HOME ?? "");
    expect(existsSync(join(runnerTemp, "loki-signing.key")), "the key file is gone once loki read it").toBe(false);
    expect(built.code, built.stderr).toBe(0);
    // The upload/download-artifact steps between the jobs: a copy of the directory.
    const deliverTemp = `${t.s.path}-deliver-temp`;
    mkdirSync(deliverTemp);
    for (const to of [t.artifact, join(deliverTemp, "loki-run")])
      Bun.spawnSync(["cp", "-r", join(runnerTemp, "loki-run"), to], { env: { PATH: process.env.PATH } });
    const out = JSON.parse(built.stdout);
    expect(out).toMatchObject({ ok: true, outcome: "verified", exit_code: 0, branch: "loki/issue-7", bundle: "run.bundle" });
    expect(out.proof.fingerprint).toHaveLength(16);
    for (const file of ["manifest.json", "run.bundle", "change.patch", `proof/${out.run_id}/proof.json`, "evidence/completion.json"])
      expect(existsSync(join(t.artifact, file)), file).toBe(true);
    expect(readFileSync(join(t.artifact, "change.patch"), "utf8")).toContain("+export const div");
    // What the agent could reach: no forge token, no signing key in its environment or on disk.
    const snoop = JSON.parse(readFileSync(join(t.s.state, "snoop.json"), "utf8"));
    expect(snoop).toEqual({ GITHUB_TOKEN: null, GH_TOKEN: null, LOKI_SIGNING_KEY: null, key_file: null });
    expect(remoteHead(t.origin, "loki/issue-7"), "the build job pushes nothing").toBe("");

    const delivered = await runStep(
      t,
      "deliver",
      "Check the proof, then push and open the pull request",
      { ISSUE: "7", GITHUB_TOKEN: t.forge.env.GITHUB_TOKEN ?? "", RUNNER_TEMP: deliverTemp },
      `${t.s.path}-deliver`,
      `${t.s.path}-deliver-home`,
    );
    expect(delivered.code, delivered.stderr).toBe(0);
    const result = JSON.parse(delivered.stdout);
    expect(result).toMatchObject({
      ok: true,
      action: "pr_opened",
      branch: "loki/issue-7",
      outcome: "verified",
      proof: { status: "clean" },
    });
    expect(remoteHead(t.origin, "loki/issue-7")).toBe(out.commit);
    const [pr, ...more] = t.forge.github.pulls;
    expect(more).toHaveLength(0);
    expect(pr).toMatchObject({ head: "loki/issue-7", base: "main", title: "Math helpers" });
    expect(pr?.body).toContain("Closes #7");
    expect(pr?.body).toContain(out.proof.sha256);
    expect(pr?.body).toContain("loki-run");
    expect(t.forge.github.comments.at(-1)?.body).toContain("loki verified this work");

    // Delivered again (a re-run of the job): the PR is updated, never duplicated.
    const again = JSON.parse((await deliverIn(t)).stdout);
    expect(again.action).toBe("pr_updated");
    expect(t.forge.github.pulls).toHaveLength(1);
  }, 240_000);

  test("attacks on the artifact: another issue, a re-signed proof, another key, a commit in place of the run's, a linked proof — nothing is pushed", async () => {
    await using t = await setup("full");
    expect((await t.build()).code).toBe(0);
    const runId = manifest(t).run_id;
    const proofPath = join(t.artifact, "proof", runId, "proof.json");
    const original = readFileSync(proofPath, "utf8");

    // Another issue: the branch is named from --issue, never from the artifact.
    const other = await deliverIn(t, ["--key", CI_PUBLIC], "acme/shop#8");
    expect(other.code).toBe(1);
    expect(JSON.parse(other.stdout)).toMatchObject({ ok: false, action: "none" });

    // The proof re-signed with a fresh key after its outcome was upgraded: untrusted, whatever it says.
    const fresh = generateKeyPairSync("ed25519");
    const proof = JSON.parse(original);
    proof.payload.headline = { verdict: "VERIFIED", reasons: ["all good"] };
    const digest = proofDigest(2, proof.payload);
    proof.provenance = {
      ...proof.provenance,
      canonical_sha256: digest,
      signature: sign(null, Buffer.from(digest, "utf8"), fresh.privateKey).toString("base64"),
      public_key: String(fresh.publicKey.export({ type: "spki", format: "pem" })),
    };
    writeFileSync(proofPath, JSON.stringify(proof));
    const resigned = await deliverIn(t);
    expect(resigned.code).toBe(1);
    expect(JSON.parse(resigned.stdout).proof.status).not.toBe("clean");
    writeFileSync(proofPath, original);

    // A key other than the workflow's (the artifact's own signer, say) is not the CI key.
    const wrongKey = String(generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }));
    const wrong = await deliverIn(t, ["--key", wrongKey]);
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout).proof.status).toBe("untrusted_signer");

    // Another commit in place of the run's: on top of it (not one commit on the start), or with its tree
    // plus a backdoor squashed onto the start (not the change the proof signs).
    const wt = join(t.s.path, ".loki", "worktrees", "loki-issue-7");
    const made = manifest(t);
    git(wt, ["checkout", "--quiet", "--detach", made.commit]);
    writeFileSync(join(wt, "backdoor.js"), "export const x = 1;\n");
    git(wt, ["add", "backdoor.js"]);
    git(wt, ["-c", "user.name=x", "-c", "user.email=x@x", "commit", "--quiet", "-m", "backdoor"]);
    const onTop = git(wt, ["rev-parse", "HEAD"]).trim();
    const squashed = git(wt, [
      "-c",
      "user.name=x",
      "-c",
      "user.email=x@x",
      "commit-tree",
      `${onTop}^{tree}`,
      "-p",
      made.start_sha,
      "-m",
      "x",
    ]).trim();
    for (const forged of [onTop, squashed]) {
      git(wt, ["update-ref", "refs/loki-ci/loki/issue-7", forged]);
      git(wt, ["bundle", "create", "--quiet", join(t.artifact, "run.bundle"), "refs/loki-ci/loki/issue-7", `^${made.start_sha}`]);
      const swapped = await deliverIn(t);
      expect(swapped.code, forged).toBe(1);
      expect(JSON.parse(swapped.stdout)).toMatchObject({ ok: false, action: "none" });
    }

    // proof.json as a link to a file holding the deliver job's token (as /proc/self/environ would).
    const environ = join(t.artifact, "..", "environ");
    writeFileSync(environ, "GITHUB_TOKEN=ghs_leakedleakedleaked\n");
    Bun.spawnSync(["ln", "-sf", environ, proofPath], { env: { PATH: process.env.PATH } });
    const linked = await deliverIn(t);
    expect(linked.code).toBe(3);
    expect(linked.stdout + linked.stderr).not.toContain("leaked");
    expect(t.forge.github.comments.map((c) => c.body).join("\n")).not.toContain("leaked");

    expect(remoteHead(t.origin, "loki/issue-7"), "nothing reached origin").toBe("");
    expect(t.forge.github.pulls).toHaveLength(0);
    expect(t.forge.github.comments.at(-1)?.body).toContain("did not deliver");
  }, 240_000);

  test("loki.yaml's sandbox: false does not reach `loki ci build`: the agent still cannot read the signing key", async () => {
    await using t = await setup("ci-snoop", {}, "sandbox: false\n");
    const built = await t.build();
    expect(built.code, built.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(t.s.state, "snoop.json"), "utf8")).key_file).toBeNull();
    expect(JSON.parse(readFileSync(join(t.artifact, "proof", manifest(t).run_id, "proof.json"), "utf8")).payload.run.sandboxed).toBe(true);
  }, 240_000);

  test("GitLab: the same two commands open a merge request from loki/issue-3 and note it on the issue", async () => {
    await using t = await setup("full");
    const built = await t.s.loki(["ci", "build", "team/web/shop#3", "--signing-key", keyFile(t.s), "--out", t.artifact, "--json"]);
    expect(built.code, built.stderr).toBe(0);
    expect(JSON.parse(built.stdout)).toMatchObject({ outcome: "verified", branch: "loki/issue-3" });
    const delivered = await deliverIn(t, ["--key", CI_PUBLIC], "team/web/shop#3");
    expect(delivered.code, delivered.stderr).toBe(0);
    expect(JSON.parse(delivered.stdout)).toMatchObject({ action: "pr_opened", branch: "loki/issue-3" });
    expect(t.forge.gitlab.mergeRequests[0]).toMatchObject({ source_branch: "loki/issue-3", target_branch: "main" });
    expect(t.forge.gitlab.notes.at(-1)?.body).toContain("loki verified this work");
    expect(remoteHead(t.origin, "loki/issue-3")).toBe(JSON.parse(built.stdout).commit);
  }, 240_000);

  test("an agent that commits with `git add -A` commits none of loki's scratch under .loki/", async () => {
    await using t = await setup("commit-all");
    const built = await t.build();
    expect(built.code, built.stderr).toBe(0);
    const out = JSON.parse(built.stdout);
    expect(out.outcome).toBe("verified");
    const files = git(t.s.path, ["diff", "--name-only", out.start_sha, out.head_sha]).trim().split("\n");
    expect(files.filter((f) => f.startsWith(".loki"))).toEqual([]);
    expect(files).toContain("math.js");
  }, 240_000);

  test("history the agent made never leaves: a secret committed then removed, an unrelated history merged in — one commit on main is pushed", async () => {
    for (const scenario of ["history-secret", "orphan-merge"]) {
      await using t = await setup(scenario);
      const built = await t.build();
      expect(built.code, built.stderr).toBe(0);
      const out = JSON.parse(built.stdout);
      expect(out.outcome, scenario).toBe("verified");
      const delivered = await deliverIn(t);
      expect(delivered.code, delivered.stderr).toBe(0);
      const pushed = remoteHead(t.origin, "loki/issue-7");
      expect(pushed).toBe(out.commit);
      expect(git(t.origin, ["rev-list", "--parents", "-n", "1", pushed]).trim()).toBe(`${pushed} ${out.start_sha}`);
      const objects = git(t.origin, ["rev-list", "--objects", "refs/heads/loki/issue-7"]);
      expect(objects).not.toContain("evil.yml");
      expect(objects).not.toContain("deploy.js");
      expect(git(t.origin, ["diff", "--name-only", out.start_sha, pushed]).trim().split("\n").sort()).toEqual(["math.js", "math.test.js"]);
      // Every object the bundle brought into the deliver job's checkout: neither the secret nor the graft.
      const all = Bun.spawnSync(["git", "cat-file", "--batch-all-objects", "--batch"], {
        cwd: `${t.s.path}-deliver`,
        env: { PATH: process.env.PATH },
      });
      expect(all.stdout.toString()).toContain("export const div");
      expect(all.stdout.toString()).not.toContain("LOKITST");
      expect(all.stdout.toString()).not.toContain("planted-outside-the-diff");
    }
  }, 240_000);

  test("a test the agent wrote plants `git` on loki's PATH: the directories are read-only to it (an empty tmpfs when missing), the run still verifies", async () => {
    // In HOME, as ~/.local/bin is: where a missing PATH directory is one the user (so a test) can make.
    const targets = mkdtempSync(join(process.env.HOME ?? "/tmp", "plant-"));
    const existing = join(targets, "plant-target-bin");
    const missing = join(targets, "plant-target-missing", "bin");
    mkdirSync(existing);
    const marker = join(targets, "planted-git-ran");
    await using t = await setup("plant-git", { FAKE_PLANT_MARKER: marker });
    const built = await t.build([], { PATH: `${existing}:${missing}:${t.s.env.PATH}` });
    expect(built.code, built.stderr).toBe(0);
    expect(JSON.parse(built.stdout).outcome).toBe("verified");
    expect(git(t.s.path, ["show", `${JSON.parse(built.stdout).head_sha}:math.test.js`]), "the payload was graded").toContain(
      "plant-target",
    );
    expect(existsSync(join(existing, "git")), "planted in a PATH directory").toBe(false);
    expect(existsSync(join(missing, "git")), "planted in a PATH directory it made").toBe(false);
    expect(existsSync(marker), "loki ran the planted git").toBe(false);
    Bun.spawnSync(["rm", "-rf", targets], { env: { PATH: process.env.PATH } });
  }, 240_000);

  test("a second job in the same checkout starts from the checkout, not from the branch an earlier attempt left", async () => {
    await using t = await setup("full");
    const first = JSON.parse((await t.build()).stdout);
    Bun.spawnSync(["rm", "-rf", t.artifact], { env: { PATH: process.env.PATH } });
    const again = await t.build();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("deleted the branch loki/issue-7");
    const second = JSON.parse(again.stdout);
    expect(second).toMatchObject({ outcome: "verified", start_sha: first.start_sha });
    expect((await deliverIn(t)).code).toBe(0);
  }, 240_000);

  test("something linked into --out during the run: the artifact is not packed over it (exit 3), nothing to upload", async () => {
    await using t = await setup("plant-out", { FAKE_PLANT_OUT: `${process.env.TMPDIR}/plant-out-${process.pid}` });
    const out = `${process.env.TMPDIR}/plant-out-${process.pid}`;
    const built = await t.s.loki(["ci", "build", "acme/shop#7", "--signing-key", keyFile(t.s), "--out", out, "--json"]);
    expect(built.code).toBe(3);
    expect(JSON.parse(built.stdout).error.message).toContain("was changed during the run");
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
    Bun.spawnSync(["rm", "-rf", out], { env: { PATH: process.env.PATH } });
  }, 240_000);

  test("the forge says no — the push rejected, the pull request refused — the issue is told what to change, exit 3", async () => {
    await using t = await setup("full");
    expect((await t.build()).code).toBe(0);
    const hook = join(t.origin, "hooks", "pre-receive");
    writeFileSync(hook, "#!/bin/sh\necho 'refusing to allow a GitHub App to create or update workflow' >&2\nexit 1\n", { mode: 0o755 });
    const rejected = await deliverIn(t);
    expect(rejected.code).toBe(3);
    expect(JSON.parse(rejected.stdout)).toMatchObject({ ok: false, action: "none" });
    expect(t.forge.github.comments.at(-1)?.body).toContain("the push of loki/issue-7 was rejected");
    Bun.spawnSync(["rm", hook], { env: { PATH: process.env.PATH } });
    t.forge.override("POST", /\/pulls$/, {
      status: 403,
      json: { message: "GitHub Actions is not permitted to create or approve pull requests." },
    });
    const refused = await deliverIn(t);
    expect(refused.code).toBe(3);
    expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, action: "none", branch: "loki/issue-7" });
    expect(t.forge.github.comments.at(-1)?.body).toContain("allow GitHub Actions to create pull requests");
    expect(t.forge.github.pulls).toHaveLength(0);
  }, 240_000);

  test("an issue edited after it was labelled is not built: exit 3 before any agent call, nothing packed", async () => {
    await using t = await setup("full");
    const labelled = { LOKI_ISSUE_EVENT: "issues", LOKI_ISSUE_TITLE: "Math helpers", LOKI_ISSUE_BODY: "Add an add() function." };
    const built = await t.build([], labelled);
    expect(built.code).toBe(3);
    expect(built.stderr).toContain("was edited after it was labelled");
    expect(existsSync(join(t.s.state, "calls")), "no agent call").toBe(false);
    expect(existsSync(join(t.artifact, "manifest.json"))).toBe(false);
    // A run started by hand (workflow_dispatch) builds the issue as it is now.
    expect((await t.build([], { ...labelled, LOKI_ISSUE_EVENT: "workflow_dispatch" })).code).toBe(0);
  }, 240_000);

  test("a test that moves the branch while it is graded: the run does not end verified, and nothing it moved to is delivered", async () => {
    await using t = await setup("move-head");
    const built = await t.build();
    expect(built.code, built.stderr).toBe(0);
    const out = JSON.parse(built.stdout);
    expect(out.outcome).toBe("blocked");
    expect(built.stderr).toContain("the branch moved after it was graded");
    const delivered = await deliverIn(t);
    expect(JSON.parse(delivered.stdout)).toMatchObject({ action: "none" });
    expect(remoteHead(t.origin, "loki/issue-7")).toBe("");
    expect(t.forge.github.pulls).toHaveLength(0);
  }, 240_000);

  test("an honest change that adds a .gitattributes (how git writes its diff) is delivered: the deliver job diffs in the run's tree", async () => {
    await using t = await setup("attributes");
    const built = await t.build();
    expect(built.code, built.stderr).toBe(0);
    const out = JSON.parse(built.stdout);
    expect(out.outcome).toBe("verified");
    expect(git(t.s.path, ["diff", "--name-only", out.start_sha, out.commit])).toContain(".gitattributes");
    const delivered = await deliverIn(t);
    expect(delivered.code, delivered.stdout).toBe(0);
    expect(remoteHead(t.origin, "loki/issue-7")).toBe(out.commit);
  }, 240_000);

  test("a budget cap: the work so far is pushed to loki/wip-7 with a comment, no PR, exit 4", async () => {
    await using t = await setup("break-then-fix", { FAKE_AGENT_COST: "3" });
    const built = await t.build(["--budget", "5"]);
    expect(built.code, built.stderr).toBe(0);
    const out = JSON.parse(built.stdout);
    expect(out).toMatchObject({ outcome: "budget_exceeded", exit_code: 4, bundle: "run.bundle" });
    const delivered = await deliverIn(t);
    expect(delivered.code).toBe(4);
    expect(JSON.parse(delivered.stdout)).toMatchObject({ action: "wip_pushed", branch: "loki/wip-7", outcome: "budget_exceeded" });
    expect(remoteHead(t.origin, "loki/wip-7")).toBe(out.commit);
    expect(remoteHead(t.origin, "loki/issue-7")).toBe("");
    expect(t.forge.github.pulls).toHaveLength(0);
    const comment = t.forge.github.comments.at(-1)?.body ?? "";
    expect(comment).toContain("budget_exceeded");
    expect(comment).toContain("loki/wip-7");
  }, 240_000);

  test("a secret in the change: no commits leave the build job, the secret is in no file of the artifact, nothing is pushed", async () => {
    await using t = await setup("secret");
    const built = await t.build(["--max-iterations", "2"]);
    expect(built.code, built.stderr).toBe(0);
    const out = JSON.parse(built.stdout);
    expect(out.outcome).not.toBe("verified");
    expect(out.bundle).toBeNull();
    expect(out.no_bundle_reason).toBeTruthy();
    expect(existsSync(join(t.artifact, "run.bundle"))).toBe(false);
    const leaked = Bun.spawnSync(["grep", "-rl", "LOKITST", t.artifact], { env: { PATH: process.env.PATH } }).stdout.toString();
    expect(leaked, "files of the artifact holding the secret").toBe("");
    const delivered = await deliverIn(t);
    expect(JSON.parse(delivered.stdout)).toMatchObject({ action: "none" });
    expect(remoteHead(t.origin, "loki/wip-7")).toBe("");
    expect(remoteHead(t.origin, "loki/issue-7")).toBe("");
  }, 240_000);

  test("bad input: no manifest, --out in .loki/, a fingerprint for --key — clear errors, exit 3", async () => {
    await using t = await setup("full");
    mkdirSync(t.artifact);
    const torn = await deliverIn(t);
    expect(torn.code).toBe(3);
    expect(torn.stderr).toContain("manifest.json is missing");
    const inside = await t.s.loki(["ci", "build", "acme/shop#7", "--signing-key", keyFile(t.s), "--out", ".loki/art"]);
    expect(inside.code).toBe(3);
    expect(inside.stderr).toContain("inside its .loki/");
    writeFileSync(join(t.artifact, "manifest.json"), "{}");
    const fingerprint = await deliverIn(t, ["--key", "0123456789abcdef"]);
    expect(fingerprint.code).toBe(3);
    expect(fingerprint.stderr).toContain("not a fingerprint");
  }, 60_000);
});
