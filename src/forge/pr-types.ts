// Contract for delivering a run: which repository (GitHub or GitLab) a pull/merge request goes to,
// and what loki asks of the forge — preflight facts, upsert, checks, merge, comments. Types only.
import type { IssueRef } from "./types.ts";

export type RepoRef =
  | { forge: "github"; owner: string; repo: string; host?: string; scheme?: "http" }
  | { forge: "gitlab"; project: string; host?: string; scheme?: "http" };

/** What can be known before any agent spend. */
export type RepoFacts = {
  defaultBranch: string;
  archived: boolean;
  /** The token may push branches and open pull requests. */
  canOpenPr: boolean;
  /** The token's missing scopes or permissions, when it is known (e.g. classic GitHub scopes). */
  missing: string[];
  /** Why branch protection would refuse loki's merge (required reviews, …), or null. */
  mergeBlockedBy: string | null;
  /** What could not be checked or may still refuse later (unreadable protection, no workflow scope): say it, do not block on it. */
  warnings: string[];
};

export type PullRequestInput = { repo: RepoRef; head: string; base: string; title: string; body: string };
export type PullRequest = { number: number; url: string; created: boolean; headSha: string | null };

export type ChecksState = {
  state: "success" | "failure" | "pending";
  total: number;
  failing: string[];
  pending: string[];
};

export type MergeMethod = "merge" | "squash" | "rebase";
export type MergeResult = { merged: boolean; sha: string | null; message: string };

/** A comment on the originating issue: GitHub, GitLab, Jira or Azure DevOps. */
export type IssueComment = { ref: IssueRef; body: string };
