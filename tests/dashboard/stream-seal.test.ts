// The event stream keeps held-out items sealed as the snapshot does: a line that names a held-out id
// or text (JSON-escaped or not) goes out with it replaced while the run is live, and as written once the
// run is over by its own files. The ids come from what .loki/ names (the judge's verdict cache).
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SEALED } from "../../src/dashboard/snapshot-clean.ts";
import { appendEvents, openStream, orchestrator, startHarness } from "./harness.ts";

const HIDDEN = "ac-0123456789";
const RESULT = {
  schema_version: 1,
  run_id: "r-test",
  iteration: 1,
  evaluated_at: "2026-01-01T12:00:00.000Z",
  verdict: "VERIFIED",
  items: [{ id: HIDDEN, status: "pass", method: "judge", category: "Acceptance criteria", evidence: "x" }],
  passed: 1,
  failed: 0,
  unknown: 0,
};
const line = (message: string) =>
  JSON.stringify({ ts: new Date().toISOString(), run_id: "r-test", iteration: 1, kind: "warning", message });

describe("the stream's held-out seal", () => {
  test("live: a line naming a held-out id is sealed; over: it goes out as written", async () => {
    await using h = await startHarness({ heartbeatMs: 60_000 });
    writeFileSync(join(h.root, ".loki", "state", "heldout-result.json"), JSON.stringify(RESULT));
    const stream = await openStream(h);
    appendEvents(h.root, [line(`judge passed ${HIDDEN}`)]);
    const live = await stream.until((frames) => frames.some((f) => f.event === "ev"));
    const first = live.find((f) => f.event === "ev");
    expect(first?.data).not.toContain(HIDDEN);
    expect(first?.data).toContain(`judge passed ${SEALED}`);

    // The run ends: its completion summary and a state that is no longer live.
    const sha = orchestrator("0".repeat(40)).start_sha;
    const done = { ...orchestrator(sha), status: "completed", phase: "done", outcome: "verified" };
    writeFileSync(join(h.root, ".loki", "state", "orchestrator.json"), JSON.stringify(done));
    writeFileSync(
      join(h.root, ".loki", "state", "completion.json"),
      JSON.stringify({
        schema_version: 1,
        run_id: "r-test",
        outcome: "verified",
        exit_code: 0,
        reason: "done",
        start_sha: sha,
        head_sha: null,
        branch: null,
        iterations: 1,
        diffstat: { files: 1, insertions: 1, deletions: 0 },
        cost: { usd: 1, basis: "exact" },
        pr_url: null,
        next: "loki proof verify",
        finished_at: new Date().toISOString(),
      }),
    );
    appendEvents(h.root, [line(`revealed ${HIDDEN}`)]);
    const over = await stream.until((frames) => frames.filter((f) => f.event === "ev").length >= 2);
    expect(over.filter((f) => f.event === "ev")[1]?.data).toContain(`revealed ${HIDDEN}`);
    await stream.close();
  });
});
