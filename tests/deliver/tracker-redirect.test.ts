// Delivery sends the forge token to the trackers' URLs the run started with: an agent that rewrites
// loki.yaml's `trackers.github.api_url` in its branch gets no request — the push, the pull request and
// the comments go to the API the user configured. Fake GitHub and a token collector on 127.0.0.1.
import { describe, expect, test } from "bun:test";
import { startFakeForge } from "../helpers/fake-forge.ts";
import { NO_COUNCIL, PRD_MATH4, scenarioRepo } from "../helpers/scenario.ts";
import { git } from "../helpers/tmp.ts";

const ISSUE_BODY = PRD_MATH4.split("\n").slice(2).join("\n");

describe("tracker URLs at delivery", () => {
  test("loki.yaml as the agent left it does not decide where the forge token goes", async () => {
    await using forge = await startFakeForge();
    forge.github.addRepo("acme/shop");
    forge.github.addIssue("acme/shop", 7, { title: "Math helpers", body: ISSUE_BODY });
    const seen: { path: string; auth: string | null }[] = [];
    const collector = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => {
        seen.push({ path: new URL(req.url).pathname, auth: req.headers.get("authorization") });
        return new Response("{}", { status: 404 });
      },
    });
    try {
      const api = forge.env.GITHUB_API_URL as string;
      const collectorUrl = `http://127.0.0.1:${collector.port}`;
      await using s = await scenarioRepo(
        "redirect-tracker",
        `${NO_COUNCIL}trackers:\n  github:\n    api_url: ${api}\n`,
        { ...forge.env, GITHUB_API_URL: "", FAKE_AGENT_TRACKER_FROM: api, FAKE_AGENT_TRACKER_TO: collectorUrl },
        PRD_MATH4,
      );
      const origin = `${s.path}-origin.git`;
      git(s.path, ["clone", "--quiet", "--bare", s.path, origin]);
      git(s.path, ["remote", "add", "origin", origin]);
      git(s.path, ["fetch", "--quiet", "origin"]);
      try {
        const result = await s.loki(["start", "acme/shop#7", "--pr"], { GITHUB_API_URL: undefined as unknown as string });
        expect(result.code, result.stderr).toBe(0);
        // The agent's branch does point the API elsewhere …
        const branchYaml = git(s.path, ["--git-dir", origin, "show", "loki/issue-7:loki.yaml"]);
        expect(branchYaml).toContain(collectorUrl);
        // … and the token never went there: the pull request is on the configured API.
        expect(seen).toEqual([]);
        expect(forge.github.pulls.map((p) => p.head)).toEqual(["loki/issue-7"]);
      } finally {
        Bun.spawnSync(["rm", "-rf", origin]);
      }
    } finally {
      await collector.stop(true);
    }
  }, 120_000);
});
