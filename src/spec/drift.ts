// Spec drift since `loki spec lock`, checked one way for every caller: the spec_drift gate (loop
// and `loki verify`) and `loki spec status`. Issue-sourced locks: the one-shot commands re-fetch the
// issue; the loop passes refetchIssue: false (network and rate limits every iteration) and gets
// "not re-checked" with its reason, never a silent pass. Never throws: a failure is data.
import type { Config } from "../core/config.ts";
import { messageOf } from "../core/errors.ts";
import { SpecLock, type SpecDrift } from "../core/schema.ts";
import { readJson, workspaceAt } from "../core/workspace.ts";
import { diffLock } from "./lock.ts";

export type DriftOptions = {
  /** Fetch an issue-sourced spec from its tracker again: true for one-shot commands, false in the loop. */
  refetchIssue: boolean;
  now?: Date;
};

type Unreadable = Extract<SpecDrift, { state: "unreadable" }>;
/** SpecDrift, and for an unreadable spec the error itself: a command rethrows it for its exit code. */
export type DriftCheck = Exclude<SpecDrift, Unreadable> | (Unreadable & { cause: unknown });

export const ISSUE_NOT_REFETCHED = "an issue is not re-fetched every iteration (loki verify and loki spec status re-fetch it)";

type Env = Record<string, string | undefined>;

/** With refetchIssue: true every lock is re-checked: the answer is never "not re-checked". */
export function checkDrift(
  root: string,
  config: Config,
  env: Env,
  options: DriftOptions & { refetchIssue: true },
): Promise<Exclude<DriftCheck, { state: "not_rechecked" }>>;
export function checkDrift(root: string, config: Config, env: Env, options: DriftOptions): Promise<DriftCheck>;
export async function checkDrift(root: string, config: Config, env: Env, options: DriftOptions): Promise<DriftCheck> {
  let lock: SpecLock | undefined;
  try {
    lock = readJson(workspaceAt(root).specLock, SpecLock);
  } catch (error) {
    return { state: "unreadable", source_kind: null, source_ref: null, reason: messageOf(error), cause: error };
  }
  if (lock === undefined) return { state: "unlocked" };
  const { kind, ref } = lock.source;
  if (kind === "issue" && !options.refetchIssue)
    return { state: "not_rechecked", source_kind: kind, source_ref: ref, reason: ISSUE_NOT_REFETCHED };
  try {
    // The parsers load only when there is a lock to compare with (`loki verify` starts ~12 ms sooner).
    const { readSpec, rereadArgs } = await import("./read.ts");
    const how = rereadArgs(lock.source);
    const spec = await readSpec(how.arg, { cwd: root, config, env, explicit: how.explicit });
    return { state: "checked", source_kind: kind, report: diffLock(lock, spec, options.now ?? new Date()) };
  } catch (error) {
    return { state: "unreadable", source_kind: kind, source_ref: ref, reason: messageOf(error), cause: error };
  }
}
