// Proof-of-run from a REAL run (the scripted fake agent drives `loki start`): what proof.json says,
// its signature, `loki proof verify` on a clean, a one-byte-edited and a drifted repo, the pure
// headline rules, HTML escaping, and that a secret in the spec reaches neither file.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { canonicalJson, sha256 } from "../../src/core/hash.ts";
import { heldOutStorePath, projectKey } from "../../src/spec/heldout-store.ts";
import { ProofFile, type Proof } from "../../src/core/proof-schema.ts";
import { lokiHomeAt, workspaceAt } from "../../src/core/workspace.ts";
import { headline, writeProof, type HeadlineFacts } from "../../src/proof/assemble.ts";
import { renderProofHtml } from "../../src/proof/html.ts";
import { checkSignature, keyPaths } from "../../src/proof/sign.ts";
import { redact } from "../../src/proof/redact.ts";
import { loki } from "../helpers/cli.ts";
import { schemaErrors } from "../helpers/schemas.ts";
import { PRD, scenarioRepo, type Scenario } from "../helpers/scenario.ts";
import { git } from "../helpers/tmp.ts";

let s: Scenario;
let runId: string;
let proofPath: string;
const copies: string[] = [];

beforeAll(async () => {
  // council: false: a real run whose only unchecked fact is the blind review.
  s = await scenarioRepo("honest", "council: false\n");
  expect((await s.loki(["start", "prd.md"])).code).toBe(0);
  runId = s.completion().run_id;
  const { dir } = await writeProof(workspaceAt(s.path), runId, { includeDiff: true });
  proofPath = join(dir, "proof.json");
});
afterAll(async () => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
  await s[Symbol.asyncDispose]();
});

/** A copy of the run's repository (with .loki/), so one test's damage stays out of the others. */
function copyRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "loki-proof-copy-"));
  copies.push(dir);
  cpSync(s.path, dir, { recursive: true });
  return dir;
}

describe("a real run's proof", () => {
  test("validates, is signed, and is VERIFIED WITH GAPS because no council ran", () => {
    const file = ProofFile.parse(JSON.parse(readFileSync(proofPath, "utf8")));
    const p = file.payload;
    expect(p.run).toMatchObject({ id: runId, outcome: "verified", exit_code: 0, iterations: 2 });
    expect(p.headline).toEqual({ verdict: "VERIFIED WITH GAPS", reasons: ["no council round ran: no blind review of the diff"] });
    expect(p.council).toEqual([]);
    expect(p.verify_command).toBe(`loki proof verify ${runId}`);
    expect(file.schema_version).toBe(2);
    expect(file.provenance.canonical_sha256).toBe(sha256(canonicalJson({ schema_version: 2, payload: p })));
    expect(checkSignature(file.provenance.canonical_sha256, file.provenance).ok).toBe(true);
    expect(statSync(keyPaths().key).mode & 0o777).toBe(0o600);
  });

  test("records the change, the bill, the gates, the spec and the held-out reveal as they happened", () => {
    const p = ProofFile.parse(JSON.parse(readFileSync(proofPath, "utf8"))).payload;
    const completion = s.completion();
    expect([p.change.start_sha, p.change.head_sha]).toEqual([completion.start_sha, completion.head_sha ?? ""]);
    expect(p.change.files.map((f) => f.path).sort()).toEqual(["math.js", "math.test.js"]);
    expect(p.change.diffstat).toEqual(completion.diffstat);
    expect(p.change.diff).toContain("export const sub");
    expect(p.change.diff_sha256).toBe(sha256(p.change.diff ?? ""));
    const ledger = s.ledger();
    expect(p.bill).toMatchObject({ total_usd: ledger.reduce((t, e) => t + e.usd, 0), basis: "exact" });
    expect(p.bill.by_model).toEqual([expect.objectContaining({ provider: "claude", calls: ledger.length, basis: "exact" })]);
    expect(p.gates.source).toBe("evidence");
    expect(p.gates.results).toEqual(JSON.parse(readFileSync(join(s.path, ".loki", "iterations", "2", "gates.json"), "utf8")));
    expect(p.gates.results.filter((g) => g.id === "diff" || g.id === "tests").map((g) => g.status)).toEqual(["pass", "pass"]);
    expect(p.spec.items).toHaveLength(4);
    expect(p.held_out.status).toBe("revealed");
    expect(p.held_out.items).toHaveLength(1);
    const hidden = p.held_out.items[0];
    expect(p.spec.items.find((i) => i.id === hidden?.id)?.held_out).toBe(true);
    expect(PRD).toContain(hidden?.text ?? "missing");
    expect(hidden?.result?.status).toBe("pass");
    expect(p.held_out.evaluation).toMatchObject({ passed: 1, failed: 0, unknown: 0 });
    expect(p.timing.iterations.map((i) => i.n)).toEqual([1, 2]);
    expect(p.providers.chain).toEqual(["claude"]);
    expect(readFileSync(join(s.path, ".loki", "proofs", runId, "index.html"), "utf8")).toContain("VERIFIED WITH GAPS");
  });

  test("proof.json and the run's evidence.json are valid against the published JSON Schemas (docs/schemas/)", () => {
    expect(schemaErrors("proof", JSON.parse(readFileSync(proofPath, "utf8")))).toEqual([]);
    const evidence = JSON.parse(readFileSync(join(s.path, ".loki", "verify", "evidence.json"), "utf8"));
    expect(evidence.source).toBe("run");
    expect(schemaErrors("evidence", evidence)).toEqual([]);
  });

  test("with the council: VERIFIED, and every round with its reviewers is in the proof", async () => {
    await using full = await scenarioRepo("honest");
    expect((await full.loki(["start", "prd.md"])).code).toBe(0);
    const { dir, file } = await writeProof(workspaceAt(full.path), full.completion().run_id);
    expect(schemaErrors("proof", JSON.parse(readFileSync(join(dir, "proof.json"), "utf8")))).toEqual([]);
    expect(file.payload.headline.verdict).toBe("VERIFIED");
    expect(file.payload.headline.reasons).toContain("council round 1 passed (3 of 3 approved)");
    expect(file.payload.council.map((r) => r.round)).toEqual([1]);
    const { schema_version: _version, ...round } = full.council(1);
    expect(file.payload.council).toEqual([round]);
  });

  test("`loki proof verify` is clean (exit 0); list and show find it", async () => {
    const verify = await s.loki(["proof", "verify"]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain("CLEAN");
    expect(verify.stdout).toContain("this machine's key");
    const json = await s.loki(["proof", "verify", runId, "--json"]);
    expect(json.json<{ status: string; exit_code: number }>()).toMatchObject({ status: "clean", exit_code: 0 });
    expect((await s.loki(["proof", "list"])).stdout).toMatch(new RegExp(`${runId} .* VERIFIED WITH GAPS`));
    const show = await s.loki(["proof", "show", "--json"]);
    expect(ProofFile.parse(show.json()).payload.run.id).toBe(runId);
    expect((await s.loki(["proof", "show"])).stdout).toContain("no council round ran");
  });

  test("a one-byte edit of proof.json is caught: exit 1, tampered", async () => {
    const repo = copyRepo();
    const path = join(repo, ".loki", "proofs", runId, "proof.json");
    const text = readFileSync(path, "utf8");
    const at = text.indexOf('"title": "Math helpers"') + '"title": "'.length;
    writeFileSync(path, `${text.slice(0, at)}W${text.slice(at + 1)}`);
    expect(readFileSync(path).length).toBe(Buffer.byteLength(text));
    const result = await loki(["proof", "verify", runId, "--json"], { cwd: repo, env: s.env });
    expect(result.code).toBe(1);
    const report = result.json<{ status: string; checks: { name: string; ok: boolean }[] }>();
    expect(report.status).toBe("tampered");
    expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(["hash", "signature"]);
  });

  test.each<[string, (path: string) => void]>([
    ["not JSON any more", (path) => writeFileSync(path, readFileSync(path, "utf8").slice(0, 200))],
    ["empty", (path) => writeFileSync(path, "")],
    [
      "not a file",
      (path) => {
        rmSync(path);
        mkdirSync(path);
      },
    ],
  ])("a proof.json that cannot be read (%s) could not be verified: exit 3, unusable, and the hint says so", async (_name, damage) => {
    const repo = copyRepo();
    const path = join(repo, ".loki", "proofs", runId, "proof.json");
    damage(path);
    const result = await loki(["proof", "verify", runId, "--json"], { cwd: repo, env: s.env });
    expect(result.code).toBe(3);
    expect(result.json<{ status: string; checks: { name: string; ok: boolean }[] }>()).toMatchObject({
      status: "unusable",
      checks: [{ name: "file", ok: false }],
    });
    const human = await loki(["proof", "verify", runId], { cwd: repo, env: s.env });
    expect([human.code, human.stdout]).toEqual([3, expect.stringContaining("UNUSABLE")]);
    expect(human.stderr).toContain("cannot be checked");
  });

  test("a commit added after the run is caught: exit 1, drifted, naming how many", async () => {
    const repo = copyRepo();
    writeFileSync(join(repo, "later.txt"), "after the run\n");
    git(repo, ["add", "later.txt"]);
    git(repo, ["commit", "-qm", "after the run"]);
    const result = await loki(["proof", "verify", runId], { cwd: repo, env: s.env });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("DRIFTED");
    expect(result.stdout).toContain("1 commit added to");
  });

  test("a missing proof, or none at all, exits 3 with the next command", async () => {
    expect((await s.loki(["proof", "verify", "20990101-000000-zzzz"])).code).toBe(3);
    await using empty = await scenarioRepo("honest");
    const none = await empty.loki(["proof", "show"]);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain("loki start");
  });

  test("a held-out store that is missing or does not match its commitment is recorded, never a crash", async () => {
    const repo = copyRepo();
    // A copy finds the run's store by its run id; with the store gone from this machine, it is missing.
    const original = heldOutStorePath(s.path, runId);
    expect(heldOutStorePath(repo, runId)).toBe(original);
    renameSync(original, `${original}.aside`);
    let missing: Awaited<ReturnType<typeof writeProof>>;
    try {
      missing = await writeProof(workspaceAt(repo), runId);
    } finally {
      renameSync(`${original}.aside`, original);
    }
    expect(missing.file.payload.held_out).toMatchObject({ status: "store_missing", count: 1, items: [] });
    expect(missing.file.payload.headline.verdict).toBe("VERIFIED WITH GAPS");
    // A store under the copy's own key comes first: here, one that does not match the commitment.
    const store = lokiHomeAt().heldOut(projectKey(repo), runId);
    mkdirSync(dirname(store), { recursive: true });
    writeFileSync(store, readFileSync(original, "utf8").replace(/"text": "[^"]+"/, '"text": "something the agent could see"'));
    const swapped = await writeProof(workspaceAt(repo), runId);
    expect(swapped.file.payload.held_out.status).toBe("reveal_failed");
    expect(swapped.file.payload.headline.verdict).toBe("NOT VERIFIED");
    expect(swapped.file.payload.headline.reasons[0]).toContain("does not match its commitment");
  });

  test("`loki proof open` hands the page to the opener, or prints its path when there is none", async () => {
    const bin = mkdtempSync(join(tmpdir(), "loki-opener-"));
    copies.push(bin);
    writeFileSync(join(bin, "xdg-open"), `#!/bin/sh\necho "$1" > "${bin}/opened"\n`, { mode: 0o755 });
    expect((await s.loki(["proof", "open"], { PATH: bin })).code).toBe(0);
    expect(readFileSync(join(bin, "opened"), "utf8").trim()).toBe(join(s.path, ".loki", "proofs", runId, "index.html"));
    const none = await s.loki(["proof", "open"], { PATH: join(bin, "nothing") });
    expect([none.code, none.stdout.trim().endsWith("index.html")]).toEqual([0, true]);
  });
});

describe("headline()", () => {
  const gate = (status: "pass" | "fail" | "inconclusive" | "skipped") => ({
    id: `g-${status}`,
    title: "a gate",
    status,
    reason: `it said ${status}`,
    duration_ms: 1,
    findings: [],
  });
  const reviewer = {
    role: "requirements",
    provider: "claude",
    model: "m",
    verdict: "APPROVE" as const,
    findings: [],
    items: [],
    note: null,
    mutation: false,
    transcript: "t",
    usd: 0,
  };
  const round = (passed: boolean) => ({
    run_id: "r",
    round: 1,
    iteration: 2,
    at: "t",
    reviewers: [reviewer, reviewer, reviewer],
    devils_advocate: null,
    passed,
    reasons: passed ? [] : ["security found a high finding"],
  });
  const item = (status: "pass" | "fail" | "unknown") => ({
    id: `h-${status}`,
    text: "hidden",
    result: { status, method: "command" as const, evidence: `said ${status}` },
  });
  const clean: HeadlineFacts = {
    run: { outcome: "verified", reason: "every stage verified" },
    gates: { source: "evidence", verdict: "VERIFIED", results: [gate("pass")] },
    council: [round(true)],
    held_out: {
      status: "revealed",
      detail: null,
      total_items: 8,
      count: 2,
      evaluation: { verdict: "VERIFIED", iteration: 2, evaluated_at: "t", passed: 2, failed: 0, unknown: 0 },
      items: [item("pass"), item("pass")],
    },
    bill: { basis: "exact" },
  };
  const withFacts = (over: Partial<HeadlineFacts>) => headline({ ...clean, ...over });

  test("VERIFIED only when every fact checks out", () => {
    const h = headline(clean);
    expect(h.verdict).toBe("VERIFIED");
    expect(h.reasons).toContain("council round 1 passed (3 of 3 approved)");
  });

  test("a skipped gate (one that does not apply) is named, not a gap", () => {
    const h = withFacts({ gates: { source: "evidence", verdict: "VERIFIED", results: [gate("pass"), gate("skipped")] } });
    expect(h.verdict).toBe("VERIFIED");
    expect(h.reasons).toContain("all 1 gates that apply passed (1 did not apply: g-skipped)");
  });

  test.each<[string, Partial<HeadlineFacts>, RegExp]>([
    [
      "an inconclusive gate",
      { gates: { source: "evidence", verdict: "CONCERNS", results: [gate("inconclusive")] } },
      /g-inconclusive was inconclusive/,
    ],
    [
      "no held-out items (N < 4)",
      {
        held_out: {
          status: "not_selected",
          detail: "the spec has 3 items; fewer than 4, so none were held out",
          total_items: 3,
          count: 0,
          evaluation: null,
          items: [],
        },
      },
      /fewer than 4/,
    ],
    [
      "held-out items never evaluated",
      { held_out: { ...clean.held_out, evaluation: null, items: [{ id: "h", text: "x", result: null }] } },
      /never evaluated/,
    ],
    [
      "a held-out item judged unknown",
      { held_out: { ...clean.held_out, items: [item("pass"), item("unknown")] } },
      /h-unknown could not be judged/,
    ],
    ["no council round", { council: [] }, /no council round ran/],
    ["partly estimated costs", { bill: { basis: "mixed" } }, /partly estimated/],
  ])("VERIFIED WITH GAPS for %s", (_name, over, reason) => {
    const h = withFacts(over);
    expect(h.verdict).toBe("VERIFIED WITH GAPS");
    expect(h.reasons.join("\n")).toMatch(reason);
  });

  test.each<[string, Partial<HeadlineFacts>, RegExp]>([
    ["an unverified outcome", { run: { outcome: "max_iterations", reason: "25 iterations" } }, /ended max iterations: 25 iterations/],
    ["a failed gate", { gates: { source: "evidence", verdict: "BLOCKED", results: [gate("fail")] } }, /gate g-fail failed: it said fail/],
    ["a failed held-out item", { held_out: { ...clean.held_out, items: [item("pass"), item("fail")] } }, /h-fail failed: said fail/],
    ["a council that did not pass", { council: [round(true), { ...round(false), round: 2 }] }, /council round 2 did not pass: security/],
    [
      "a store that does not match its commitment",
      { held_out: { ...clean.held_out, status: "reveal_failed", detail: "does not match its commitment", items: [] } },
      /reveal failed/,
    ],
  ])("NOT VERIFIED for %s", (_name, over, reason) => {
    const h = withFacts(over);
    expect(h.verdict).toBe("NOT VERIFIED");
    expect(h.reasons.join("\n")).toMatch(reason);
  });
});

describe("the page and redaction", () => {
  const payload = (): Proof => ProofFile.parse(JSON.parse(readFileSync(proofPath, "utf8"))).payload;

  test("every string is HTML-escaped, and nothing loads from anywhere", () => {
    const p = payload();
    p.spec.title = "<script>window.__x=1</script>";
    p.headline.reasons = ['<img src=x onerror="window.__x=1">'];
    const file = ProofFile.parse(JSON.parse(readFileSync(proofPath, "utf8")));
    const html = renderProofHtml(redact(p).value, file.provenance);
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;window.__x=1&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=&quot;window.__x=1&quot;&gt;");
    expect(html).not.toMatch(/(src|href|action)\s*=\s*["']?(?!data:)[a-z]+:/i);
    expect(html).not.toMatch(/@import|url\(/i);
  });

  test("a secret in the spec reaches neither proof.json nor index.html", async () => {
    const token = `ghp_${"A1b2C3d4E5".repeat(4).slice(0, 36)}`;
    await using secret = await scenarioRepo("honest", "council: false\n", {}, `${PRD}- [ ] the deploy token ${token} is never logged\n`);
    await secret.loki(["start", "prd.md"]);
    const id = secret.completion().run_id;
    const { dir, file } = await writeProof(workspaceAt(secret.path), id);
    expect(JSON.stringify(file)).toContain("never logged");
    for (const name of ["proof.json", "index.html"]) expect(readFileSync(join(dir, name), "utf8")).not.toContain(token);
    expect(file.payload.redaction.total).toBeGreaterThan(0);
    expect((await secret.loki(["proof", "verify", id])).code).toBe(0);
  });
});
