// The ONE exit-code map (DESIGN §4): error kind, `loki verify` verdict, run outcome, delivery result,
// proof check → process exit code. Every table is total over its union, so a new kind without a code
// does not compile. Commands return codes looked up here; only program.ts (and the entry, src/cli.ts, with the code it returns) sets process.exitCode.
import type { ErrorKind } from "./errors.ts";
import { isLokiError } from "./errors.ts";
import type { VerdictName } from "./evidence-schema.ts";
import type { Outcome } from "./run-schema.ts";

declare const exitCodeBrand: unique symbol;
/** A process exit code taken from these tables: a bare number is not one, so no command invents a code. */
export type ExitCode = number & { readonly [exitCodeBrand]: true };

/** The only codes loki uses (DESIGN §4). */
type Code = 0 | 1 | 2 | 3 | 4 | 130;

function table<K extends string>(codes: Record<K, Code>): Readonly<Record<K, ExitCode>> {
  return Object.freeze(codes) as Readonly<Record<K, ExitCode>>;
}

/** Any command that ran: it succeeded, a check it ran failed (`spec status`, `doctor`), or the user said no. */
export type CommandResult = "ok" | "check_failed" | "declined";
export const COMMAND_EXIT = table<CommandResult>({ ok: 0, check_failed: 1, declined: 1 });

/** A typed error, whatever the command: 3 (usage, config, spec, tracker, `.loki/`, provider, git, a bug). */
export const ERROR_EXIT = table<ErrorKind>({
  usage: 3,
  config: 3,
  spec: 3,
  tracker: 3,
  workspace: 3,
  provider: 3,
  git: 3,
  sandbox: 3,
  internal: 3,
});

/** `loki verify`: the verdict, or 3 when it could not verify (not a repo, bad base or flags, a bug). */
export type VerifyResult = VerdictName | "could_not_verify";
export const VERIFY_EXIT = table<VerifyResult>({ VERIFIED: 0, CONCERNS: 1, BLOCKED: 2, could_not_verify: 3 });

/** `loki start` / `loki resume`: the run's outcome (state/completion.json). */
export const RUN_EXIT = table<Outcome>({
  verified: 0,
  max_iterations: 1,
  max_duration: 1,
  stalled: 1,
  stopped: 1,
  failed: 1,
  blocked: 2,
  error: 3,
  budget_exceeded: 4,
  interrupted: 130,
});

/** What delivering a verified run came to (--pr, --ship). Red checks block like the ship gate;
 *  checks still pending leave the run unmerged, as an unverified end would. */
export type DeliveryResult = "pr_opened" | "merged" | "checks_pending" | "checks_failed" | "merge_refused" | "delivery_failed";
export const DELIVERY_EXIT = table<DeliveryResult>({
  pr_opened: 0,
  merged: 0,
  checks_pending: 1,
  checks_failed: 2,
  merge_refused: 2,
  delivery_failed: 3,
});

/** `loki proof verify`: the proof's status. A valid signature by a key the user does not trust is a
 *  failed check (1), like a changed proof: it is never clean. */
export type ProofCheckResult = "clean" | "tampered" | "untrusted_signer" | "drifted" | "unusable";
export const PROOF_EXIT = table<ProofCheckResult>({ clean: 0, tampered: 1, untrusted_signer: 1, drifted: 1, unusable: 3 });

/** A run's code: its delivery's when a verified run was delivered, else its outcome's. */
export function runExitCode(outcome: Outcome, delivery: DeliveryResult | null): ExitCode {
  return delivery === null ? RUN_EXIT[outcome] : DELIVERY_EXIT[delivery];
}

/** Any thrown value's code: a LokiError's kind, anything else is a bug (internal). */
export function exitCodeFor(error: unknown): ExitCode {
  return isLokiError(error) ? ERROR_EXIT[error.kind] : ERROR_EXIT.internal;
}
