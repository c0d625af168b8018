// The GitHub half of the fake forge: repositories (scopes header, permissions, protection, rulesets),
// issues and comments, pull requests (list by head, create, update, sha-pinned merge), check runs and
// commit statuses per sha as poll sequences. State lives in plain objects tests can read and change.
import type { FakeResponse } from "./fake-tracker.ts";
import { fakeSha, polls, type FakeComment, type ForgeHandler } from "./fake-forge.ts";

export type FakeGithubRepo = {
  default_branch: string;
  archived: boolean;
  private: boolean;
  /** null: GitHub sends none (an app or Actions token). */
  permissions: { admin: boolean; push: boolean; pull: boolean } | null;
  /** The x-oauth-scopes header of a classic token; null: no header (fine-grained, app or Actions token). */
  scopes: string | null;
  /** Classic protection of the default branch; "forbidden": the token may not read it (403). */
  protection: Record<string, unknown> | "forbidden" | null;
  /** Active ruleset rules for the default branch. */
  rules: { type: string; parameters?: Record<string, unknown> }[];
  allow_merge_commit?: boolean;
  allow_squash_merge?: boolean;
  allow_rebase_merge?: boolean;
  /** Branch name → head sha; a PR's head sha comes from here (a fake one when unset). */
  branches: Record<string, string>;
};

export type FakePull = {
  repo: string;
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  head_sha: string;
  state: "open" | "closed";
  merged: boolean;
  merge_method: string | null;
  merge_commit_sha: string | null;
};

/** `status` defaults to completed; a completed run's `conclusion` to success. */
export type FakeCheckRun = { name: string; status?: "queued" | "in_progress" | "completed"; conclusion?: string | null };
export type FakeCommitStatus = { context: string; state: "success" | "failure" | "error" | "pending" };

export type FakeGithub = {
  repos: Map<string, FakeGithubRepo>;
  pulls: FakePull[];
  comments: FakeComment[];
  /** When set, every merge is refused with this answer (e.g. 405 "At least 1 approving review is required"). */
  mergeRefusal: { status: number; message: string } | null;
  addRepo: (fullName: string, options?: Partial<FakeGithubRepo>) => FakeGithubRepo;
  addIssue: (fullName: string, number: number, issue?: { title?: string; body?: string; labels?: string[] }) => void;
  setBranch: (fullName: string, branch: string, sha: string) => void;
  /** Check runs per poll for `sha` ("*": any sha without its own); the last poll repeats. */
  setChecks: (sha: string, ...perPoll: FakeCheckRun[][]) => void;
  setStatuses: (sha: string, ...perPoll: FakeCommitStatus[][]) => void;
  handle: ForgeHandler;
};

const notFound: FakeResponse = { status: 404, json: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } };

export function fakeGithub(): FakeGithub {
  const issues = new Map<string, { title: string; body: string; labels: string[] }>();
  const checks = polls<FakeCheckRun[]>();
  const statuses = polls<FakeCommitStatus[]>();
  const state: FakeGithub = {
    repos: new Map(),
    pulls: [],
    comments: [],
    mergeRefusal: null,
    addRepo(fullName, options = {}) {
      const repo: FakeGithubRepo = {
        default_branch: "main",
        archived: false,
        private: true,
        permissions: { admin: false, push: true, pull: true },
        scopes: "repo, workflow",
        protection: null,
        rules: [],
        branches: {},
        ...options,
      };
      state.repos.set(fullName, repo);
      return repo;
    },
    addIssue: (fullName, number, issue = {}) =>
      void issues.set(`${fullName}#${number}`, {
        title: issue.title ?? `Issue ${number}`,
        body: issue.body ?? "",
        labels: issue.labels ?? [],
      }),
    setBranch(fullName, branch, sha) {
      const repo = state.repos.get(fullName);
      if (!repo) throw new Error(`fake github: no repository ${fullName}`);
      repo.branches[branch] = sha;
    },
    setChecks: (sha, ...perPoll) => checks.set(sha, perPoll),
    setStatuses: (sha, ...perPoll) => statuses.set(sha, perPoll),
    handle: (call) => {
      const [root, owner, name, ...rest] = call.parts.map((part) => decodeURIComponent(part));
      const fullName = `${owner}/${name}`;
      const repo = state.repos.get(fullName);
      if (root !== "repos" || !repo) return root === "repos" ? notFound : undefined;
      return route(fullName, repo, call.method, rest, call.query, (call.body ?? {}) as Record<string, unknown>);
    },
  };

  const headSha = (fullName: string, repo: FakeGithubRepo, branch: string) => repo.branches[branch] ?? fakeSha(`${fullName}:${branch}`);
  const pullJson = (pull: FakePull) => ({
    number: pull.number,
    html_url: `https://github.com/${pull.repo}/pull/${pull.number}`,
    state: pull.state,
    title: pull.title,
    body: pull.body,
    head: { ref: pull.head, sha: pull.head_sha, label: `${pull.repo.split("/")[0]}:${pull.head}` },
    base: { ref: pull.base },
    merged: pull.merged,
    merge_commit_sha: pull.merge_commit_sha,
  });

  function route(
    fullName: string,
    repo: FakeGithubRepo,
    method: string,
    rest: string[],
    query: URLSearchParams,
    body: Record<string, unknown>,
  ): FakeResponse | undefined {
    const [kind, id, sub] = rest;
    const is = (m: string, k: string | undefined, n: number) => method === m && kind === k && rest.length === n;
    if (is("GET", undefined, 0)) {
      const { scopes, protection: _p, rules: _r, branches: _b, ...shown } = repo;
      return {
        json: { full_name: fullName, ...shown, permissions: shown.permissions ?? undefined },
        headers: scopes === null ? {} : { "x-oauth-scopes": scopes },
      };
    }
    if (is("GET", "branches", 2) && id) {
      if (id !== repo.default_branch && !(id in repo.branches)) return { status: 404, json: { message: "Branch not found" } };
      return {
        json: { name: id, protected: repo.protection !== null && id === repo.default_branch, commit: { sha: headSha(fullName, repo, id) } },
      };
    }
    if (is("GET", "branches", 3) && sub === "protection") {
      if (repo.protection === "forbidden") return { status: 403, json: { message: "Resource not accessible by integration" } };
      return repo.protection && id === repo.default_branch
        ? { json: repo.protection }
        : { status: 404, json: { message: "Branch not protected" } };
    }
    if (is("GET", "rules", 3) && id === "branches") return { json: sub === repo.default_branch ? repo.rules : [] };
    if (kind === "issues" && id) return issue(fullName, method, Number(id), sub, body);
    if (kind === "pulls") return pulls(fullName, repo, method, id, sub, query, body);
    if (is("GET", "commits", 3) && id && sub === "check-runs") {
      const runs = (checks.next(id) ?? []).map((run, i) => ({
        id: i + 1,
        name: run.name,
        head_sha: id,
        status: run.status ?? "completed",
        conclusion: run.conclusion ?? (run.status && run.status !== "completed" ? null : "success"),
      }));
      return { json: { total_count: runs.length, check_runs: runs } };
    }
    if (is("GET", "commits", 3) && id && sub === "status") {
      const list = statuses.next(id) ?? [];
      // Like GitHub: a commit without statuses has the combined state "pending".
      const combined =
        list.length === 0 || list.some((s) => s.state === "pending")
          ? "pending"
          : list.every((s) => s.state === "success")
            ? "success"
            : "failure";
      return { json: { state: combined, sha: id, total_count: list.length, statuses: list } };
    }
    return undefined;
  }

  function issue(
    fullName: string,
    method: string,
    number: number,
    sub: string | undefined,
    body: Record<string, unknown>,
  ): FakeResponse | undefined {
    const known = issues.get(`${fullName}#${number}`);
    const pull = state.pulls.find((p) => p.repo === fullName && p.number === number);
    if (!known && !pull) return notFound;
    if (method === "GET" && sub === undefined && known)
      return {
        json: {
          number,
          ...known,
          labels: known.labels.map((l) => ({ name: l })),
          html_url: `https://github.com/${fullName}/issues/${number}`,
        },
      };
    if (method !== "POST" || sub !== "comments") return undefined;
    state.comments.push({ issue: `${fullName}#${number}`, body: String(body.body ?? "") });
    return {
      status: 201,
      json: {
        id: state.comments.length,
        body: body.body,
        html_url: `https://github.com/${fullName}/issues/${number}#issuecomment-${state.comments.length}`,
      },
    };
  }

  function pulls(
    fullName: string,
    repo: FakeGithubRepo,
    method: string,
    id: string | undefined,
    sub: string | undefined,
    query: URLSearchParams,
    body: Record<string, unknown>,
  ): FakeResponse | undefined {
    const owner = fullName.split("/")[0];
    const open = (head: string) => state.pulls.find((p) => p.repo === fullName && p.head === head && p.state === "open");
    if (method === "GET" && id === undefined) {
      const head = query.get("head");
      const wanted = query.get("state") ?? "open";
      const list = state.pulls.filter(
        (p) => p.repo === fullName && (wanted === "all" || p.state === wanted) && (!head || `${owner}:${p.head}` === head),
      );
      return { json: list.map(pullJson) };
    }
    if (method === "POST" && id === undefined) {
      const head = String(body.head ?? "");
      if (open(head))
        return {
          status: 422,
          json: {
            message: "Validation Failed",
            errors: [{ resource: "PullRequest", code: "custom", message: `A pull request already exists for ${owner}:${head}.` }],
          },
        };
      const numbers = [...issues.keys()].filter((k) => k.startsWith(`${fullName}#`)).map((k) => Number(k.split("#")[1]));
      const number = Math.max(0, ...numbers, ...state.pulls.filter((p) => p.repo === fullName).map((p) => p.number)) + 1;
      const pull: FakePull = {
        repo: fullName,
        number,
        title: String(body.title ?? ""),
        body: String(body.body ?? ""),
        head,
        base: String(body.base ?? repo.default_branch),
        head_sha: headSha(fullName, repo, head),
        state: "open",
        merged: false,
        merge_method: null,
        merge_commit_sha: null,
      };
      state.pulls.push(pull);
      return { status: 201, json: pullJson(pull) };
    }
    const pull = state.pulls.find((p) => p.repo === fullName && p.number === Number(id));
    if (!pull) return notFound;
    if (method === "PATCH" && sub === undefined) {
      Object.assign(pull, {
        title: String(body.title ?? pull.title),
        body: String(body.body ?? pull.body),
        head_sha: headSha(fullName, repo, pull.head),
      });
      return { json: pullJson(pull) };
    }
    if (method !== "PUT" || sub !== "merge") return undefined;
    const methodName = String(body.merge_method ?? "merge");
    const allowed = { merge: repo.allow_merge_commit, squash: repo.allow_squash_merge, rebase: repo.allow_rebase_merge }[methodName];
    if (state.mergeRefusal) return { status: state.mergeRefusal.status, json: { message: state.mergeRefusal.message } };
    if (allowed === false) return { status: 405, json: { message: `${methodName} merges are not allowed on this repository.` } };
    if (pull.state !== "open") return { status: 405, json: { message: "Pull Request is not mergeable" } };
    if (body.sha !== undefined && body.sha !== pull.head_sha)
      return { status: 409, json: { message: "Head branch was modified. Review and try the merge again." } };
    Object.assign(pull, {
      state: "closed",
      merged: true,
      merge_method: methodName,
      merge_commit_sha: fakeSha(`merge:${fullName}#${pull.number}`),
    });
    return { json: { sha: pull.merge_commit_sha, merged: true, message: "Pull Request successfully merged" } };
  }

  return state;
}
