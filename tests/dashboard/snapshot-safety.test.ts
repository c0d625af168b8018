// What the agent or the repository wrote, in the snapshot: every string redacted again (a fake but
// format-valid GitHub token in events, gates, council findings, the outcome, the app state), and a live
// run's held-out ids sealed even where .loki/ names them (the judge's verdict, a reviewer's items).
import { describe, expect, test } from "bun:test";
import { SEALED } from "../../src/dashboard/snapshot-clean.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { FAKE_GITHUB_TOKEN } from "../helpers/verify-repo.ts";
import { RUN_ID, at, event, session, snap, state, writeLoki } from "./snapshot-fixture.ts";

describe("snapshot: what the agent or the repository wrote", () => {
  test("every string is redacted again: events, gate reasons and findings, council findings, the outcome, the app", async () => {
    await using dir = await tmpdir();
    const leak = `token=${FAKE_GITHUB_TOKEN}`;
    const finding = { severity: "high", file: "config.js", line: 3, message: `hard-coded ${leak}` };
    const reviewer = {
      role: "security",
      provider: "claude",
      model: "m",
      verdict: "REJECT",
      findings: [finding],
      items: [],
      note: null,
      mutation: false,
      transcript: "t",
      usd: 0.01,
    };
    writeLoki(dir.path, {
      "state/orchestrator.json": state(),
      "events.jsonl": [event("warning", 1, 1, { message: `agent said ${leak}` })],
      "iterations/1/gates.json": [
        {
          id: "secrets",
          title: "Secrets",
          status: "fail",
          reason: `found ${leak}`,
          duration_ms: 1,
          findings: [{ ...finding, fingerprint: "f" }],
        },
      ],
      "council/round-1.json": {
        schema_version: 1,
        run_id: RUN_ID,
        round: 1,
        iteration: 1,
        at: at(2),
        reviewers: [reviewer],
        devils_advocate: null,
        passed: false,
        reasons: [],
      },
      "state/completion.json": {
        schema_version: 1,
        run_id: RUN_ID,
        outcome: "blocked",
        exit_code: 2,
        reason: `secret: ${leak}`,
        start_sha: "a",
        head_sha: "b",
        branch: null,
        iterations: 1,
        diffstat: { files: 1, insertions: 1, deletions: 0 },
        cost: { usd: 0, basis: "none" },
        pr_url: null,
        next: "loki resume",
        finished_at: at(3),
      },
      "app/state.json": { url: "http://127.0.0.1:3000", env: { GITHUB_TOKEN: leak } },
    });
    const s = await snap(dir.path);
    const text = JSON.stringify(s);
    expect(text).not.toContain(FAKE_GITHUB_TOKEN);
    expect(s.gates?.results[0]?.findings[0]).toMatchObject({ file: "config.js", line: 3, severity: "high" });
    expect(s.council[0]?.reviewers[0]?.findings[0]?.message).toContain("[REDACTED");
    expect(s.outcome?.reason).toContain("[REDACTED");
    expect(s.alerts.map((a) => a.kind)).toEqual(["blocked"]);
  });

  test("a live run's snapshot never names a held-out id that .loki/ holds (verdict cache, reviewer items)", async () => {
    await using dir = await tmpdir();
    const hidden = "ac-0123456789";
    const item = (id: string) => ({ id, status: "pass", evidence: "math.js:1" });
    const reviewer = {
      role: "requirements",
      provider: "claude",
      model: "m",
      verdict: "APPROVE",
      findings: [{ severity: "low", message: `${hidden} looks done` }],
      items: [item("ac-visible01"), item(hidden)],
      note: null,
      mutation: false,
      transcript: "t",
      usd: 0.01,
    };
    writeLoki(dir.path, {
      "session.json": session(),
      "state/orchestrator.json": state(),
      "checklist/checklist.json": {
        schema_version: 1,
        spec_sha256: "b".repeat(64),
        items: [{ id: "ac-visible01", text: "add works", kind: "acceptance", status: "pending" }],
        held_out_count: 1,
        updated_at: at(0),
      },
      "checklist/held-out.json": {
        schema_version: 1,
        run_id: RUN_ID,
        algorithm: "sha256-rank/v1",
        total_items: 4,
        count: 1,
        commitments: ["c".repeat(64)],
        store_sha256: "d".repeat(64),
        created_at: at(0),
      },
      "state/heldout-result.json": {
        schema_version: 1,
        run_id: RUN_ID,
        iteration: 1,
        evaluated_at: at(1),
        verdict: "VERIFIED",
        items: [{ id: hidden, status: "pass", method: "judge", category: "Acceptance criteria", evidence: "x" }],
        passed: 1,
        failed: 0,
        unknown: 0,
      },
      "council/round-1.json": {
        schema_version: 1,
        run_id: RUN_ID,
        round: 1,
        iteration: 1,
        at: at(2),
        reviewers: [reviewer],
        devils_advocate: null,
        passed: false,
        reasons: [],
      },
      "events.jsonl": [event("warning", 1, 3, { message: `judge passed ${hidden}` })],
    });
    const s = await snap(dir.path);
    expect(JSON.stringify(s)).not.toContain(hidden);
    expect(s.checklist).toEqual({ items: [{ id: "ac-visible01", text: "add works", status: "pass" }], sealed: 1, revealed: null });
    expect(s.council[0]?.reviewers[0]?.findings[0]?.message).toBe(`${SEALED} looks done`);
  });
});
