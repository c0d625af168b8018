// Azure DevOps specifics on top of the shared contract: acceptance criteria appended under their
// own heading, tags, the work item's web link, project names with spaces, and the pipeline token.
import { describe, expect, test } from "bun:test";
import { isLokiError } from "../../src/core/errors.ts";
import { fetchAzureWorkItem } from "../../src/forge/azure.ts";
import { startFakeTracker, trackerConfig } from "../helpers/fake-tracker.ts";

const REF = { tracker: "azure", org: "acme", project: "Web Shop", id: 101 } as const;
const PATH = "/Web%20Shop/_apis/wit/workitems/101";
const ENV = { AZURE_DEVOPS_TOKEN: "ado-pat" };

const configAt = (base?: string) => trackerConfig({ azure: { org_url: base } });

describe("azure", () => {
  test("description and acceptance criteria become one Markdown body", async () => {
    await using server = await startFakeTracker();
    const fields = {
      "System.Title": "Checkout",
      "System.Description": "<div>Customers pay by card &amp; invoice.</div>",
      "Microsoft.VSTS.Common.AcceptanceCriteria":
        "<ol><li>Card payment <b>succeeds</b></li><li>Invoice is emailed<ul><li>as PDF</li></ul></li></ol>",
      "System.Tags": "payments;  checkout ; ",
    };
    server.route("GET", PATH, {
      json: { id: 101, fields, _links: { html: { href: "https://dev.azure.com/acme/Web%20Shop/_workitems/edit/101" } } },
    });
    const issue = await fetchAzureWorkItem(REF, { config: configAt(server.url), env: ENV });
    expect(issue.body).toBe(
      "Customers pay by card & invoice.\n\n## Acceptance criteria\n\n1. Card payment **succeeds**\n2. Invoice is emailed\n   - as PDF",
    );
    expect(issue.labels).toEqual(["payments", "checkout"]);
    expect(issue.url).toBe("https://dev.azure.com/acme/Web%20Shop/_workitems/edit/101");
    expect(server.requests[0]?.query).toBe("api-version=7.1");
  });

  test("acceptance criteria alone still get their heading; no tags → no labels", async () => {
    await using server = await startFakeTracker();
    server.route("GET", PATH, {
      json: { fields: { "System.Title": "T", "Microsoft.VSTS.Common.AcceptanceCriteria": "<ul><li>works</li></ul>" } },
    });
    const issue = await fetchAzureWorkItem(REF, { config: configAt(server.url), env: ENV });
    expect(issue.body).toBe("## Acceptance criteria\n\n- works");
    expect(issue.labels).toEqual([]);
  });

  test("the org URL from an issue link wins; Azure Pipelines' System.AccessToken goes as Bearer", async () => {
    await using server = await startFakeTracker();
    server.route("GET", `/tfs/Default${PATH}`, { json: { fields: { "System.Title": "T" } } });
    const issue = await fetchAzureWorkItem(
      { ...REF, orgUrl: `${server.url}/tfs/Default` },
      { config: configAt("http://127.0.0.1:9"), env: { SYSTEM_ACCESSTOKEN: "pipeline" } },
    );
    expect(server.requests[0]?.headers.authorization).toBe("Bearer pipeline");
    expect(issue.url).toBe(`${server.url}/tfs/Default/Web%20Shop/_workitems/edit/101`);
  });

  test("an expired PAT (203 with a sign-in page) is reported as a rejected token", async () => {
    await using server = await startFakeTracker();
    server.route("GET", PATH, {
      status: 203,
      text: "<html><title>Sign In</title></html>",
      headers: { "content-type": "text/html; charset=utf-8" },
    });
    const error = await fetchAzureWorkItem(REF, { config: configAt(server.url), env: ENV }).catch((e: unknown) => e);
    expect(isLokiError(error) && error.message).toBe(
      "Azure DevOps token rejected (401) for acme/Web Shop#101: got a sign-in page instead of JSON",
    );
    expect(isLokiError(error) && error.hint).toContain("set a valid AZURE_DEVOPS_TOKEN");
  });
});
