// Spec drift through the one check (spec/drift.ts) for an issue-sourced lock, against a fake GitHub
// on 127.0.0.1: `loki spec status` and `loki verify` re-fetch the issue; the loop's call
// (refetchIssue: false) sends no request and says why; an issue that cannot be fetched is no pass.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { Config } from "../../src/core/config.ts";
import { Evidence } from "../../src/core/evidence-schema.ts";
import { DriftReport } from "../../src/core/schema.ts";
import { checkDrift, ISSUE_NOT_REFETCHED } from "../../src/spec/drift.ts";
import { loki } from "../helpers/cli.ts";
import { startFakeTracker, type FakeResponse } from "../helpers/fake-tracker.ts";
import { gateOf, verifyRepo } from "../helpers/verify-repo.ts";

// Several real CLI runs per test.
setDefaultTimeout(60_000);

const ISSUE = "/repos/acme/shop/issues/7";
const BODY = "## Acceptance criteria\n- [ ] Checkout accepts saved cards\n- [ ] A failed payment shows the reason\n";
const issue = (body: string): FakeResponse => ({
  json: { title: "Faster checkout", body, labels: [], html_url: "https://github.com/acme/shop/issues/7" },
});

async function lockedIssueRepo(...answers: FakeResponse[]) {
  const server = await startFakeTracker();
  server.route("GET", ISSUE, issue(BODY), ...answers);
  const repo = await verifyRepo({ "README.md": "# shop\n" }, { "a.txt": "a\n" });
  const env = { GITHUB_API_URL: server.url, GITHUB_TOKEN: "ghp_testtoken" };
  const locked = await loki(["spec", "lock", "acme/shop#7"], { cwd: repo.path, env });
  if (locked.code !== 0) throw new Error(locked.stderr);
  const fetches = () => server.requests.filter((r) => r.path === ISSUE).length;
  const dispose = async () => {
    await repo[Symbol.asyncDispose]();
    await server[Symbol.asyncDispose]();
  };
  return { path: repo.path, env, fetches, [Symbol.asyncDispose]: dispose };
}

describe("an issue-sourced spec lock", () => {
  test("spec status and verify re-fetch the issue; the loop's check does not, and says why", async () => {
    await using repo = await lockedIssueRepo(issue(`${BODY}- [ ] Receipts are emailed within a minute\n`));
    const { env, fetches } = repo;
    expect(fetches()).toBe(1);

    const inLoop = await checkDrift(repo.path, Config.parse({}), env, { refetchIssue: false });
    expect(inLoop).toEqual({ state: "not_rechecked", source_kind: "issue", source_ref: "acme/shop#7", reason: ISSUE_NOT_REFETCHED });
    expect(fetches()).toBe(1);

    const status = await loki(["spec", "status", "--json"], { cwd: repo.path, env });
    expect(status.code).toBe(1);
    expect(DriftReport.parse(status.json()).added.map((a) => a.text)).toEqual(["Receipts are emailed within a minute"]);
    expect(fetches()).toBe(2);

    const verify = await loki(["verify", "--json", "--only", "spec_drift"], { cwd: repo.path, env });
    expect(verify.code).toBe(2);
    expect(gateOf(Evidence.parse(verify.json()), "spec_drift")).toMatchObject({
      status: "fail",
      findings: [{ rule: "spec-item-added", severity: "high" }],
    });
    expect(fetches()).toBe(3);

    // A verify that does not run spec_drift does not touch the network for it.
    expect((await loki(["verify", "--json", "--only", "diff"], { cwd: repo.path, env })).code).toBe(0);
    expect(fetches()).toBe(3);
  });

  test("an issue that can no longer be fetched: spec status exits 3 with the tracker's hint, verify is inconclusive", async () => {
    await using repo = await lockedIssueRepo({ status: 404, json: { message: "Not Found" } });
    const { env } = repo;
    const status = await loki(["spec", "status"], { cwd: repo.path, env });
    expect(status.code).toBe(3);
    expect(status.stderr).toMatch(/not found/);
    expect(status.stderr.split("\n").find((l) => l.startsWith("hint:"))).toMatch(/token cannot see it|check/);

    const verify = await loki(["verify", "--json", "--only", "spec_drift"], { cwd: repo.path, env });
    expect(verify.code).toBe(1);
    expect(gateOf(Evidence.parse(verify.json()), "spec_drift")?.status).toBe("inconclusive");
    expect(gateOf(Evidence.parse(verify.json()), "spec_drift")?.reason).toStartWith("the spec could not be re-read: ");
  });
});
