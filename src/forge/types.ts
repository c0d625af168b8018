// Issue references and fetched issues: the contract between spec intake (which recognizes a
// reference) and the tracker clients (which fetch it). Types only.
import type { Config } from "../core/config.ts";

export type IssueRef =
  | { tracker: "github"; owner: string; repo: string; number: number /** from a non-github.com URL */; host?: string; scheme?: "http" }
  | {
      tracker: "gitlab";
      project: string;
      number: number;
      host?: string /** an http:// issue URL (a server without TLS) */;
      scheme?: "http";
    }
  | { tracker: "jira"; key: string; baseUrl?: string }
  | { tracker: "azure"; org: string; project: string; id: number; orgUrl?: string };

export type FetchedIssue = {
  tracker: IssueRef["tracker"];
  /** Display key: owner/repo#12, group/proj#3, ABC-12, org/project#45. */
  key: string;
  title: string;
  /** The issue text as Markdown (converted from Jira wiki markup / Azure HTML). */
  body: string;
  labels: string[];
  url: string;
};

export type FetchContext = {
  config: Config;
  env: Record<string, string | undefined>;
  /** Waits between retries; tests pass a fast clock. */
  sleep?: (ms: number) => Promise<void>;
};

export function issueKey(ref: IssueRef): string {
  switch (ref.tracker) {
    case "github":
      return `${ref.owner}/${ref.repo}#${ref.number}`;
    case "gitlab":
      return `${ref.project}#${ref.number}`;
    case "jira":
      return ref.key;
    case "azure":
      return `${ref.org}/${ref.project}#${ref.id}`;
  }
}
