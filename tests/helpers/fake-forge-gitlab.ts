// The GitLab half of the fake forge (REST v4 under /api/v4): projects with a role, token scopes and
// branch protection, issues and notes, merge requests (list by source branch, create, update,
// sha-pinned merge), and pipelines with jobs per sha as poll sequences. State is plain objects.
import type { FakeResponse } from "./fake-tracker.ts";
import { fakeSha, polls, type FakeComment, type ForgeHandler } from "./fake-forge.ts";

export type FakeGitlabProject = {
  default_branch: string;
  archived: boolean;
  /** The token user's role (30 Developer, 40 Maintainer); null: GitLab says nothing. */
  access_level: number | null;
  /** Protection of the default branch; "forbidden": the token may not read it (403). */
  protected: { merge_access_levels: { access_level: number; user_id?: number; group_id?: number }[] } | "forbidden" | null;
  squash_option: "never" | "always" | "default_on" | "default_off";
  branches: Record<string, string>;
};

export type FakeMergeRequest = {
  project: string;
  iid: number;
  title: string;
  description: string;
  source_branch: string;
  target_branch: string;
  sha: string;
  state: "opened" | "merged" | "closed";
  squash: boolean | null;
  merge_commit_sha: string | null;
};

export type FakeJob = { name: string; status: string; allow_failure?: boolean };
/** One poll's pipeline for a sha; null: no pipeline (yet). */
export type FakePipeline = { status: string; jobs?: FakeJob[] } | null;

export type FakeGitlab = {
  apiPath: "/api/v4";
  projects: Map<string, FakeGitlabProject>;
  mergeRequests: FakeMergeRequest[];
  notes: FakeComment[];
  /** When set, every merge is refused with this answer (e.g. 405 "Method Not Allowed"). */
  mergeRefusal: { status: number; message: string } | null;
  /** What /personal_access_tokens/self reports; null: 404 (an older server or another token kind). */
  tokenScopes: string[] | null;
  addProject: (path: string, options?: Partial<FakeGitlabProject>) => FakeGitlabProject;
  addIssue: (path: string, iid: number, issue?: { title?: string; description?: string; labels?: string[] }) => void;
  setBranch: (path: string, branch: string, sha: string) => void;
  /** Pipelines per poll for `sha` ("*": any sha without its own); the last poll repeats. */
  setPipelines: (sha: string, ...perPoll: FakePipeline[]) => void;
  handle: ForgeHandler;
};

const notFound = (what: string): FakeResponse => ({ status: 404, json: { message: `404 ${what} Not Found` } });

export function fakeGitlab(): FakeGitlab {
  const issues = new Map<string, { title: string; description: string; labels: string[] }>();
  const pipelines = polls<FakePipeline>();
  const jobs = new Map<number, FakeJob[]>();
  let pipelineId = 1000;
  const state: FakeGitlab = {
    apiPath: "/api/v4",
    projects: new Map(),
    mergeRequests: [],
    notes: [],
    mergeRefusal: null,
    tokenScopes: ["api"],
    addProject(path, options = {}) {
      const project: FakeGitlabProject = {
        default_branch: "main",
        archived: false,
        access_level: 30,
        protected: null,
        squash_option: "default_off",
        branches: {},
        ...options,
      };
      state.projects.set(path, project);
      return project;
    },
    addIssue: (path, iid, issue = {}) =>
      void issues.set(`${path}#${iid}`, {
        title: issue.title ?? `Issue ${iid}`,
        description: issue.description ?? "",
        labels: issue.labels ?? [],
      }),
    setBranch(path, branch, sha) {
      const project = state.projects.get(path);
      if (!project) throw new Error(`fake gitlab: no project ${path}`);
      project.branches[branch] = sha;
    },
    setPipelines: (sha, ...perPoll) => pipelines.set(sha, perPoll),
    handle: (call) => {
      const [root, encoded, ...rest] = call.parts;
      if (root === "personal_access_tokens" && encoded === "self") {
        const scopes = state.tokenScopes;
        return scopes ? { json: { id: 1, name: "loki", scopes, active: true, revoked: false } } : notFound("");
      }
      if (root !== "projects" || !encoded) return undefined;
      const path = decodeURIComponent(encoded);
      const project = state.projects.get(path);
      if (!project) return notFound("Project");
      const body = (call.body ?? {}) as Record<string, unknown>;
      return route(
        path,
        project,
        call.method,
        rest.map((part) => decodeURIComponent(part)),
        call.query,
        body,
      );
    },
  };

  const sourceSha = (path: string, project: FakeGitlabProject, branch: string) => project.branches[branch] ?? fakeSha(`${path}:${branch}`);
  const mrJson = (mr: FakeMergeRequest) => ({
    ...mr,
    web_url: `https://gitlab.example/${mr.project}/-/merge_requests/${mr.iid}`,
    project: undefined,
  });

  function route(
    path: string,
    project: FakeGitlabProject,
    method: string,
    rest: string[],
    query: URLSearchParams,
    body: Record<string, unknown>,
  ): FakeResponse | undefined {
    const [kind, id, sub] = rest;
    if (method === "GET" && kind === undefined) {
      const permissions = {
        project_access: project.access_level === null ? null : { access_level: project.access_level },
        group_access: null,
      };
      return {
        json: {
          id: 7,
          path_with_namespace: path,
          default_branch: project.default_branch,
          archived: project.archived,
          squash_option: project.squash_option,
          ...(project.access_level === null ? {} : { permissions }),
        },
      };
    }
    if (method === "GET" && kind === "protected_branches" && id) {
      if (project.protected === "forbidden") return { status: 403, json: { message: "403 Forbidden" } };
      return project.protected && id === project.default_branch ? { json: { name: id, ...project.protected } } : notFound("");
    }
    if (kind === "issues" && id) return issue(path, method, Number(id), sub, body);
    if (kind === "merge_requests") return mergeRequests(path, project, method, id, sub, query, body);
    if (method === "GET" && kind === "pipelines" && id === undefined) {
      const pipeline = pipelines.next(query.get("sha") ?? "");
      if (!pipeline) return { json: [] };
      pipelineId += 1;
      jobs.set(pipelineId, pipeline.jobs ?? []);
      return { json: [{ id: pipelineId, sha: query.get("sha"), status: pipeline.status }] };
    }
    if (method === "GET" && kind === "pipelines" && sub === "jobs") {
      return { json: (jobs.get(Number(id)) ?? []).map((job, i) => ({ id: i + 1, allow_failure: false, ...job })) };
    }
    return undefined;
  }

  function issue(
    path: string,
    method: string,
    iid: number,
    sub: string | undefined,
    body: Record<string, unknown>,
  ): FakeResponse | undefined {
    const known = issues.get(`${path}#${iid}`);
    if (!known) return notFound("Issue");
    if (method === "GET" && sub === undefined)
      return { json: { iid, ...known, web_url: `https://gitlab.example/${path}/-/issues/${iid}` } };
    if (method !== "POST" || sub !== "notes") return undefined;
    state.notes.push({ issue: `${path}#${iid}`, body: String(body.body ?? "") });
    return { status: 201, json: { id: state.notes.length, body: body.body } };
  }

  function mergeRequests(
    path: string,
    project: FakeGitlabProject,
    method: string,
    id: string | undefined,
    sub: string | undefined,
    query: URLSearchParams,
    body: Record<string, unknown>,
  ): FakeResponse | undefined {
    const mine = state.mergeRequests.filter((mr) => mr.project === path);
    if (method === "GET" && id === undefined) {
      const source = query.get("source_branch");
      const wanted = query.get("state");
      return {
        json: mine
          .filter((mr) => (!source || mr.source_branch === source) && (!wanted || wanted === "all" || mr.state === wanted))
          .map(mrJson),
      };
    }
    if (method === "POST" && id === undefined) {
      const source = String(body.source_branch ?? "");
      const clash = mine.find((mr) => mr.source_branch === source && mr.state === "opened");
      if (clash)
        return { status: 409, json: { message: [`Another open merge request already exists for this source branch: !${clash.iid}`] } };
      const iid = Math.max(0, ...mine.map((mr) => mr.iid)) + 1;
      const mr: FakeMergeRequest = {
        project: path,
        iid,
        title: String(body.title ?? ""),
        description: String(body.description ?? ""),
        source_branch: source,
        target_branch: String(body.target_branch ?? project.default_branch),
        sha: sourceSha(path, project, source),
        state: "opened",
        squash: null,
        merge_commit_sha: null,
      };
      state.mergeRequests.push(mr);
      return { status: 201, json: mrJson(mr) };
    }
    const mr = mine.find((m) => m.iid === Number(id));
    if (!mr) return notFound("Merge Request");
    if (method === "PUT" && sub === undefined) {
      Object.assign(mr, {
        title: String(body.title ?? mr.title),
        description: String(body.description ?? mr.description),
        sha: sourceSha(path, project, mr.source_branch),
      });
      return { json: mrJson(mr) };
    }
    if (method !== "PUT" || sub !== "merge") return undefined;
    if (state.mergeRefusal) return { status: state.mergeRefusal.status, json: { message: state.mergeRefusal.message } };
    if (mr.state !== "opened") return { status: 405, json: { message: "405 Method Not Allowed" } };
    if (body.sha !== undefined && body.sha !== mr.sha)
      return { status: 409, json: { message: `SHA does not match HEAD of source branch: ${mr.sha}` } };
    Object.assign(mr, { state: "merged", squash: body.squash === true, merge_commit_sha: fakeSha(`merge:${path}!${mr.iid}`) });
    return { json: { ...mrJson(mr), squash_commit_sha: mr.squash ? mr.merge_commit_sha : null } };
  }

  return state;
}
