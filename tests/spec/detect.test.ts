// Spec argument detection, table-driven, in the documented order: explicit flags > issue URLs >
// owner/repo#N > Jira keys > #N/N > files > OpenSpec dirs > briefs > a clear error.
import { describe, expect, test } from "bun:test";
import { detectSpec, parseRemoteUrl, type Probe } from "../../src/spec/detect.ts";

const CWD = "/work/proj";
const FILES: Record<string, "file" | "dir"> = {
  "/work/proj/prd.md": "file",
  "/work/proj/api.yaml": "file",
  "/work/proj/spec.json": "file",
  "/work/proj/notes.rst": "file",
  "/work/proj/12": "file",
  "/work/proj/change": "dir",
  "/work/proj/change/proposal.md": "file",
  "/work/proj/plain-dir": "dir",
  "/work/proj/docs/prd.md": "file",
};
const probe: Probe = (path) => FILES[path] ?? null;

const cases: [string, unknown][] = [
  ["https://github.com/acme/shop/issues/42", { kind: "issue", ref: { tracker: "github", owner: "acme", repo: "shop", number: 42 } }],
  [
    "https://ghe.corp.example/acme/shop/issues/7",
    { kind: "issue", ref: { tracker: "github", owner: "acme", repo: "shop", number: 7, host: "ghe.corp.example" } },
  ],
  [
    "https://gitlab.com/group/sub/proj/-/issues/5",
    { kind: "issue", ref: { tracker: "gitlab", project: "group/sub/proj", number: 5, host: "gitlab.com" } },
  ],
  [
    "https://git.internal.example/team/app/-/issues/19",
    { kind: "issue", ref: { tracker: "gitlab", project: "team/app", number: 19, host: "git.internal.example" } },
  ],
  [
    "http://git.local:8080/team/app/-/issues/2",
    { kind: "issue", ref: { tracker: "gitlab", project: "team/app", number: 2, host: "git.local:8080", scheme: "http" } },
  ],
  [
    "https://acme.atlassian.net/browse/SHOP-12",
    { kind: "issue", ref: { tracker: "jira", key: "SHOP-12", baseUrl: "https://acme.atlassian.net" } },
  ],
  [
    "https://jira.example.com/jira/browse/AB2-7",
    { kind: "issue", ref: { tracker: "jira", key: "AB2-7", baseUrl: "https://jira.example.com/jira" } },
  ],
  [
    "https://acme.atlassian.net/jira/software/projects/SHOP/boards/1?selectedIssue=SHOP-99",
    { kind: "issue", ref: { tracker: "jira", key: "SHOP-99", baseUrl: "https://acme.atlassian.net" } },
  ],
  [
    "https://dev.azure.com/acme/Web%20Shop/_workitems/edit/314",
    { kind: "issue", ref: { tracker: "azure", org: "acme", project: "Web Shop", id: 314, orgUrl: "https://dev.azure.com/acme" } },
  ],
  [
    "https://tfs.corp.example/tfs/DefaultCollection/Shop/_workitems/edit/9",
    {
      kind: "issue",
      ref: { tracker: "azure", org: "DefaultCollection", project: "Shop", id: 9, orgUrl: "https://tfs.corp.example/tfs/DefaultCollection" },
    },
  ],
  [
    "https://acme.visualstudio.com/Shop/_workitems/edit/3",
    { kind: "issue", ref: { tracker: "azure", org: "acme", project: "Shop", id: 3, orgUrl: "https://acme.visualstudio.com" } },
  ],
  ["acme/shop#42", { kind: "issue", ref: { tracker: "github", owner: "acme", repo: "shop", number: 42 } }],
  ["group/sub/proj#8", { kind: "issue", ref: { tracker: "gitlab", project: "group/sub/proj", number: 8 } }],
  ["ABC-12", { kind: "issue", ref: { tracker: "jira", key: "ABC-12" } }],
  ["AB2-12", { kind: "issue", ref: { tracker: "jira", key: "AB2-12" } }],
  ["#12", { kind: "origin-issue", number: 12 }],
  ["12", { kind: "origin-issue", number: 12 }],
  ["prd.md", { kind: "file", path: "/work/proj/prd.md", format: "markdown" }],
  ["./api.yaml", { kind: "file", path: "/work/proj/api.yaml", format: "yaml" }],
  ["spec.json", { kind: "file", path: "/work/proj/spec.json", format: "json" }],
  ["change", { kind: "openspec", path: "/work/proj/change" }],
  ["add a dark mode toggle to settings", { kind: "brief", text: "add a dark mode toggle to settings" }],
];

describe("detectSpec", () => {
  for (const [arg, expected] of cases) {
    test(arg, () => {
      const withUrl = /^https?:\/\//.test(arg) ? { ...(expected as object), url: arg } : expected;
      expect(detectSpec(arg, {}, CWD, probe)).toEqual(withUrl as never);
    });
  }

  test("explicit flags win over the argument's shape", () => {
    expect(detectSpec("ignored", { prd: "api.yaml" }, CWD, probe)).toEqual({ kind: "file", path: "/work/proj/api.yaml", format: "yaml" });
    expect(detectSpec(undefined, { issue: "ABC-1" }, CWD, probe)).toEqual({ kind: "issue", ref: { tracker: "jira", key: "ABC-1" } });
    expect(detectSpec(undefined, { openspec: "change" }, CWD, probe)).toEqual({ kind: "openspec", path: "/work/proj/change" });
  });

  test("no argument discovers prd.md first, then the rest in order", () => {
    expect(detectSpec(undefined, {}, CWD, probe)).toMatchObject({ path: "/work/proj/prd.md" });
    const onlyDocs: Probe = (path) => (path === "/work/proj/docs/prd.md" ? "file" : null);
    expect(detectSpec(undefined, {}, CWD, onlyDocs)).toMatchObject({ path: "/work/proj/docs/prd.md" });
  });

  const errors: [string | undefined, RegExp][] = [
    ["missing.md", /not a spec: no such file/],
    ["notes.rst", /unsupported spec file type ".rst"/],
    ["plain-dir", /not an OpenSpec change/],
    ["https://example.com/some/page", /not a recognized issue URL/],
    ["justoneword", /not a spec/],
  ];
  for (const [arg, message] of errors) {
    test(`error: ${arg}`, () => {
      expect(() => detectSpec(arg, {}, CWD, probe)).toThrow(message);
    });
  }

  test("nothing to discover is a usage error naming the files looked for", () => {
    expect(() => detectSpec(undefined, {}, CWD, () => null)).toThrow(/looked for prd.md, PRD.md, SPEC.md/);
  });

  test("an explicit --issue that is not a reference is refused", () => {
    expect(() => detectSpec(undefined, { issue: "hello" }, CWD, probe)).toThrow(/not an issue reference/);
  });
});

describe("parseRemoteUrl", () => {
  const remotes: [string, { host: string; path: string } | undefined][] = [
    ["git@github.com:acme/shop.git", { host: "github.com", path: "acme/shop" }],
    ["https://github.com/acme/shop.git", { host: "github.com", path: "acme/shop" }],
    ["https://github.com/acme/shop", { host: "github.com", path: "acme/shop" }],
    ["ssh://git@gitlab.example.com:2222/group/sub/app.git", { host: "gitlab.example.com", path: "group/sub/app" }],
    ["/srv/git/app.git", undefined],
  ];
  for (const [remote, expected] of remotes) {
    test(remote, () => expect(parseRemoteUrl(remote)).toEqual(expected));
  }
});
