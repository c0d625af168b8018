// What did the user hand us? Classifies a spec argument (path, issue URL or reference, brief) in
// the documented order. Pure: file-system facts come in through `probe`; nothing is read here.
import { extname, join, resolve } from "node:path";
import { specError, usageError } from "../core/errors.ts";
import type { IssueRef } from "../forge/types.ts";

export type SpecTarget =
  | { kind: "file"; path: string; format: "markdown" | "json" | "yaml" | "text" }
  | { kind: "openspec"; path: string }
  | { kind: "brief"; text: string }
  | { kind: "issue"; ref: IssueRef; url?: string }
  /** `#N` or `N`: an issue of the current repository's origin, resolved by the caller. */
  | { kind: "origin-issue"; number: number };

export type Probe = (path: string) => "file" | "dir" | null;
/** What a flag or command says the argument is: a PRD file, an issue, an OpenSpec change, a brief (`loki quick`). */
export type Explicit = { prd?: string; issue?: string; openspec?: string; brief?: string };

export const DISCOVERY = ["prd.md", "PRD.md", "SPEC.md", "spec.md", "spec.json", "spec.yaml", "spec.yml", "docs/prd.md"];
const FORMATS: Record<string, "markdown" | "json" | "yaml" | "text"> = {
  ".md": "markdown",
  ".markdown": "markdown",
  ".txt": "text",
  ".json": "json",
  ".yaml": "yaml",
  ".yml": "yaml",
};
const OWNER_REPO = /^([\w.-]+)\/([\w.-]+)#(\d+)$/;
const GROUP_PROJECT = /^([\w.-]+(?:\/[\w.-]+){2,})#(\d+)$/;
const JIRA_KEY = /^[A-Z][A-Z0-9]+-\d+$/;
const NUMBER = /^#?(\d+)$/;

export function detectSpec(arg: string | undefined, explicit: Explicit, cwd: string, probe: Probe): SpecTarget {
  if (explicit.brief !== undefined) {
    if (explicit.brief.trim() === "") throw usageError('the brief is empty: say what to build, e.g. "add a dark mode toggle"');
    return { kind: "brief", text: explicit.brief.trim() };
  }
  if (explicit.prd !== undefined) return explicitFile(explicit.prd, cwd, probe);
  if (explicit.issue !== undefined) {
    return (
      parseIssueArg(explicit.issue.trim()) ??
      fail(`--issue ${explicit.issue} is not an issue reference`, "use a URL, owner/repo#N, a Jira key such as ABC-12, or #N")
    );
  }
  if (explicit.openspec !== undefined) {
    const path = resolve(cwd, explicit.openspec);
    if (probe(path) !== "dir")
      throw specError(`--openspec ${explicit.openspec}: no such directory`, {
        hint: "pass the change directory, e.g. openspec/changes/<name>",
      });
    return { kind: "openspec", path };
  }
  if (arg === undefined || arg.trim() === "") return discover(cwd, probe);
  const text = arg.trim();
  const issue = parseIssueArg(text);
  if (issue) return issue;
  const path = resolve(cwd, text);
  const kind = probe(path);
  if (kind === "file") return fileTarget(text, path);
  if (kind === "dir") {
    if (probe(join(path, "proposal.md")) === "file" || probe(join(path, "tasks.md")) === "file") return { kind: "openspec", path };
    throw specError(`${text} is a directory but not an OpenSpec change (no proposal.md or tasks.md)`, {
      hint: "pass a spec file such as ./prd.md",
    });
  }
  if (/\s/.test(text)) return { kind: "brief", text };
  if (/^[a-z]+:\/\//i.test(text))
    throw specError(`${text} is not a recognized issue URL`, {
      hint: "supported: GitHub, GitLab (/-/issues/N), Jira (/browse/KEY-N), Azure DevOps (/_workitems/edit/N)",
    });
  throw specError(`${text} is not a spec: no such file, and not an issue reference or a brief`, {
    hint: 'pass a file (loki plan ./prd.md), an issue (owner/repo#12), or a quoted brief (loki plan "add a login page")',
  });
}

function fail(message: string, hint: string): never {
  throw usageError(message, { hint });
}

function explicitFile(given: string, cwd: string, probe: Probe): SpecTarget {
  const path = resolve(cwd, given);
  if (probe(path) !== "file")
    throw specError(`--prd ${given}: no such file`, { hint: "check the path, or run `loki init --template todo-app` for a starter PRD" });
  return fileTarget(given, path);
}

function fileTarget(given: string, path: string): SpecTarget {
  const format = FORMATS[extname(path).toLowerCase()];
  if (!format)
    throw specError(`${given}: unsupported spec file type "${extname(path) || "(none)"}"`, { hint: "use .md, .txt, .json, .yaml or .yml" });
  return { kind: "file", path, format };
}

function discover(cwd: string, probe: Probe): SpecTarget {
  for (const name of DISCOVERY) {
    const path = join(cwd, name);
    if (probe(path) === "file") return fileTarget(name, path);
  }
  throw usageError(`no spec given, and none found here (looked for ${DISCOVERY.join(", ")})`, {
    hint: "pass one (loki plan ./prd.md), or create one with `loki init --template todo-app`",
  });
}

/** Issue URLs, owner/repo#N, group/sub/project#N, Jira keys, #N and N — or undefined. */
export function parseIssueArg(text: string): SpecTarget | undefined {
  if (/^https?:\/\//i.test(text)) return parseIssueUrl(text);
  const ownerRepo = OWNER_REPO.exec(text);
  if (ownerRepo)
    return { kind: "issue", ref: { tracker: "github", owner: ownerRepo[1]!, repo: ownerRepo[2]!, number: Number(ownerRepo[3]) } };
  const group = GROUP_PROJECT.exec(text);
  if (group) return { kind: "issue", ref: { tracker: "gitlab", project: group[1]!, number: Number(group[2]) } };
  if (JIRA_KEY.test(text)) return { kind: "issue", ref: { tracker: "jira", key: text } };
  const number = NUMBER.exec(text);
  if (number) return { kind: "origin-issue", number: Number(number[1]) };
  return undefined;
}

function parseIssueUrl(text: string): SpecTarget | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const host = url.host.toLowerCase();
  const segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const origin = `${url.protocol}//${url.host}`;
  const scheme = url.protocol === "http:" ? { scheme: "http" as const } : {};
  const gitlab = url.pathname.match(/^\/(.+?)\/-\/(?:issues|work_items)\/(\d+)\/?$/);
  if (gitlab)
    return {
      kind: "issue",
      url: text,
      ref: { tracker: "gitlab", project: decodeURIComponent(gitlab[1]!), number: Number(gitlab[2]), host, ...scheme },
    };
  const ado = url.pathname.match(/^(.*?)\/_workitems\/edit\/(\d+)\/?$/);
  if (ado) {
    // …/<org or collection path>/<project>/_workitems/edit/N: the project is the last segment, and
    // everything before it is the organization (dev.azure.com/org, server/tfs/Collection).
    const parts = ado[1]!.split("/").filter(Boolean);
    const project = parts.pop();
    const visualStudio = host.endsWith(".visualstudio.com");
    const org = visualStudio ? host.split(".")[0] : parts.at(-1) ? decodeURIComponent(parts.at(-1)!) : undefined;
    if (!org || !project) return undefined;
    const orgUrl = parts.length > 0 ? `${origin}/${parts.join("/")}` : origin;
    return { kind: "issue", url: text, ref: { tracker: "azure", org, project: decodeURIComponent(project), id: Number(ado[2]), orgUrl } };
  }
  const browse = url.pathname.match(/^(.*?)\/browse\/([A-Z][A-Z0-9]+-\d+)\/?$/);
  if (browse) return { kind: "issue", url: text, ref: { tracker: "jira", key: browse[2]!, baseUrl: `${origin}${browse[1]}` } };
  if (host.endsWith(".atlassian.net")) {
    const key = `${url.pathname}${url.search}`.match(/\b([A-Z][A-Z0-9]+-\d+)\b/);
    if (key) return { kind: "issue", url: text, ref: { tracker: "jira", key: key[1]!, baseUrl: origin } };
  }
  if (segments.length === 4 && segments[2] === "issues" && /^\d+$/.test(segments[3]!)) {
    const ref: IssueRef = { tracker: "github", owner: segments[0]!, repo: segments[1]!, number: Number(segments[3]) };
    if (host !== "github.com" && host !== "www.github.com") Object.assign(ref, { host, ...scheme });
    return { kind: "issue", url: text, ref };
  }
  return undefined;
}

/** owner/repo (and host) of a git remote URL: https, ssh and scp-like forms. */
export function parseRemoteUrl(remote: string): { host: string; path: string } | undefined {
  const scp = /^(?:[\w.-]+@)?([\w.-]+):(?!\/\/)(.+?)(?:\.git)?\/?$/.exec(remote);
  if (scp && !/^[a-z]+:\/\//i.test(remote)) return { host: scp[1]!.toLowerCase(), path: scp[2]! };
  try {
    const url = new URL(remote);
    const path = url.pathname
      .replace(/^\/+/, "")
      .replace(/\.git\/?$/, "")
      .replace(/\/+$/, "");
    return url.host && path ? { host: url.hostname.toLowerCase(), path } : undefined;
  } catch {
    return undefined;
  }
}
