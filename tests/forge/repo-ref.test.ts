// Which repository a pull request goes to: parsed from the `origin` URL (every remote form, GitHub,
// GitHub Enterprise, GitLab.com and self-managed) or taken from the issue reference.
import { describe, expect, test } from "bun:test";
import { repoFromIssue, repoFromRemote } from "../../src/forge/delivery.ts";
import type { RepoRef } from "../../src/forge/pr-types.ts";
import type { IssueRef } from "../../src/forge/types.ts";
import { trackerConfig } from "../helpers/fake-tracker.ts";

const plain = trackerConfig({});
const ghe = trackerConfig({ github: { api_url: "https://ghe.corp/api/v3" } });
const selfManaged = trackerConfig({ gitlab: { api_url: "https://code.corp:8443/gitlab/api/v4" } });

describe("repoFromRemote", () => {
  const cases: [string, string, typeof plain, RepoRef | null][] = [
    ["scp-style github", "git@github.com:acme/rocket.git", plain, { forge: "github", owner: "acme", repo: "rocket" }],
    ["https github without .git", "https://github.com/acme/rocket", plain, { forge: "github", owner: "acme", repo: "rocket" }],
    [
      "https github with credentials and slash",
      "https://x-access-token:ghs_secret@github.com/acme/rocket.git/",
      plain,
      { forge: "github", owner: "acme", repo: "rocket" },
    ],
    ["ssh:// github over 443", "ssh://git@ssh.github.com:443/acme/rocket.git", plain, { forge: "github", owner: "acme", repo: "rocket" }],
    ["github with a nested path is not a repository", "https://github.com/acme/rocket/wiki", plain, null],
    [
      "github enterprise over https",
      "https://ghe.corp/acme/rocket.git",
      ghe,
      { forge: "github", owner: "acme", repo: "rocket", host: "ghe.corp" },
    ],
    [
      "github enterprise over ssh",
      "git@ghe.corp:acme/rocket.git",
      ghe,
      { forge: "github", owner: "acme", repo: "rocket", host: "ghe.corp" },
    ],
    ["an unknown host without config", "git@ghe.corp:acme/rocket.git", plain, null],
    ["gitlab.com with subgroups", "git@gitlab.com:group/sub/app.git", plain, { forge: "gitlab", project: "group/sub/app" }],
    [
      "a self-managed host named gitlab",
      "https://gitlab.example.org/group/app.git",
      plain,
      { forge: "gitlab", project: "group/app", host: "gitlab.example.org" },
    ],
    [
      "plain http keeps the scheme",
      "http://gitlab.local/group/app.git",
      plain,
      { forge: "gitlab", project: "group/app", host: "gitlab.local", scheme: "http" },
    ],
    [
      "configured GitLab with a relative root and a port",
      "https://code.corp:8443/gitlab/team/app.git",
      selfManaged,
      { forge: "gitlab", project: "team/app", host: "code.corp:8443" },
    ],
    [
      "configured GitLab over ssh (the ssh port is not the web port)",
      "ssh://git@code.corp:2222/team/app.git",
      selfManaged,
      { forge: "gitlab", project: "team/app", host: "code.corp" },
    ],
    ["a gitlab project needs a namespace", "https://gitlab.com/app.git", plain, null],
    ["a local path", "/srv/git/rocket.git", plain, null],
    ["a file URL", "file:///srv/git/rocket.git", plain, null],
    ["a Windows path", "C:\\repos\\rocket", plain, null],
    ["garbage", "not a url", plain, null],
  ];
  for (const [name, url, config, want] of cases) {
    test(name, () => expect(repoFromRemote(url, config)).toEqual(want));
  }
});

describe("repoFromIssue", () => {
  const cases: [IssueRef, RepoRef | null][] = [
    [
      { tracker: "github", owner: "acme", repo: "rocket", number: 7 },
      { forge: "github", owner: "acme", repo: "rocket" },
    ],
    [
      { tracker: "github", owner: "acme", repo: "rocket", number: 7, host: "ghe.corp", scheme: "http" },
      { forge: "github", owner: "acme", repo: "rocket", host: "ghe.corp", scheme: "http" },
    ],
    [
      { tracker: "gitlab", project: "group/app", number: 3, host: "git.corp" },
      { forge: "gitlab", project: "group/app", host: "git.corp" },
    ],
    [{ tracker: "jira", key: "ABC-1" }, null],
    [{ tracker: "azure", org: "o", project: "p", id: 4 }, null],
  ];
  test.each(cases)("%o", (ref, want) => expect(repoFromIssue(ref)).toEqual(want));
});
