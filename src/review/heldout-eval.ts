// The held-out evaluation at the ship gate: items with a `verify:` command are decided by running
// it (sandboxed, local specs only — verify-command.ts); the rest by a read-only judge that sees only
// those items and the diff. `fail` blocks; `unknown`, missing items or an unusable answer are
// inconclusive. Results name no item text, and are reused only under loki's seal (heldout-cache.ts).
// A judge the run's budget stopped decided nothing: no result is sealed, so a resumed run asks again.
import type { DiffSubject } from "../gates/gate.ts";
import type { HeldoutResult, VerdictName } from "../core/evidence-schema.ts";
import { revealHeldOut } from "../spec/heldout-store.ts";
import { SCHEMA_VERSION, type Spec } from "../core/schema.ts";
import { treeOfHead } from "../core/git.ts";
import { userHome, type Workspace } from "../core/workspace.ts";
import { detectSandbox, type SandboxAvailability } from "../sandbox/detect.ts";
import type { ReviewAgent, TrustSink } from "./agent.ts";
import { readCachedVerdict, writeSealedResult } from "./heldout-cache.ts";
import { judgeItems } from "./items-judge.ts";
import { commandMode, refusalFor, runVerifyCommand, type CommandMode } from "./verify-command.ts";

export type HeldoutInput = {
  ws: Workspace;
  runId: string;
  iteration: number;
  change: DiffSubject;
  /** Its `source` decides whether verify commands may run at all (local files only). */
  spec: Spec;
  agent: ReviewAgent;
  trust: TrustSink;
  /** The run's sandbox detection; detected here (only when a command could run) when absent. */
  sandbox?: SandboxAvailability;
  /** `--no-sandbox`: with no sandbox available, verify commands run bare (minimal env still). */
  allowUnsandboxed?: boolean;
  /** loki's private run directory, hidden from verify commands like ~/.loki. */
  privateRunDir?: string;
};
/** `fatal`: the items cannot be judged here at all (store missing or not the one committed to): no
 *  further iteration can change that, so the run ends instead of paying on. */
export type HeldoutOutcome = { verdict: VerdictName; reasons: string[]; result: HeldoutResult | null; fatal?: string };
type Item = { id: string; text: string; verify?: string };
type Judged = HeldoutResult["items"][number];

const COMMAND_TIMEOUT_MS = 10 * 60_000;

export async function evaluateHeldOut(input: HeldoutInput): Promise<HeldoutOutcome> {
  let items: Item[];
  let salt: string;
  try {
    ({ items, salt } = revealHeldOut(input.ws, input.runId));
  } catch (error) {
    const reason = `the held-out items could not be revealed: ${(error as Error).message}`;
    return { verdict: "CONCERNS", reasons: [reason], result: null, fatal: reason };
  }
  if (items.length === 0) return { verdict: "VERIFIED", reasons: [], result: null };
  // The same code judged again cannot get a different verdict; re-asking would only cost money.
  const tree = await treeOfHead(input.ws.root);
  const cached = readCachedVerdict(input.ws, input.runId, tree, salt);
  if (cached.kind === "forged") input.trust("state_forged", { file: "state/heldout-result.json", detail: cached.detail });
  if (cached.kind === "reuse") {
    const previous = cached.result;
    input.trust("heldout_eval", {
      verdict: previous.verdict,
      passed: previous.passed,
      failed: previous.failed,
      unknown: previous.unknown,
      reused: true,
    });
    return { verdict: previous.verdict, reasons: reasonsOf(previous.items), result: previous };
  }
  const category = (id: string) => {
    const item = input.spec.items.find((i) => i.id === id);
    return item?.section ?? item?.kind ?? "acceptance";
  };
  const decided = await decideItems(input, items, HELD_OUT_JUDGE);
  if (!("judged" in decided)) return { verdict: "CONCERNS", reasons: [decided.notRun], result: null };
  const { commands } = decided;
  const judged: Judged[] = decided.judged.map((j) => ({ ...j, category: category(j.id) }));

  const failed = judged.filter((j) => j.status === "fail");
  const unknown = judged.filter((j) => j.status === "unknown");
  const verdict: VerdictName = failed.length > 0 ? "BLOCKED" : unknown.length > 0 ? "CONCERNS" : "VERIFIED";
  const result = writeSealedResult(input.ws, salt, {
    schema_version: SCHEMA_VERSION,
    run_id: input.runId,
    iteration: input.iteration,
    evaluated_at: new Date().toISOString(),
    verdict,
    items: judged,
    passed: judged.length - failed.length - unknown.length,
    failed: failed.length,
    unknown: unknown.length,
    ...(tree ? { tree } : {}),
  });
  input.trust("heldout_eval", {
    verdict,
    passed: result.passed,
    failed: result.failed,
    unknown: result.unknown,
    ...(commands.mode ? { commands: commands.mode } : {}),
  });
  return { verdict, reasons: reasonsOf(judged), result };
}

type ByCommands = { decided: Omit<Judged, "category">[]; notRun: Map<string, string>; mode: string | null };
type JudgeName = { heading: string; label: string; who: string };
const HELD_OUT_JUDGE: JudgeName = { heading: "Held-out acceptance check", label: "judge", who: "the held-out judge" };

/**
 * Items with a `verify:` command decided by running it (where the spec may run commands), the rest
 * — and those whose command may not run, noted — by a read-only judge. Shared by the held-out stage
 * and the every-item stage of a run with dead-lettered tasks.
 */
export async function decideItems(
  input: Omit<HeldoutInput, "runId" | "iteration">,
  items: Item[],
  judge: JudgeName,
): Promise<{ judged: Omit<Judged, "category">[]; commands: ByCommands } | { notRun: string }> {
  const commands = await byCommands(
    input,
    items.filter((i) => i.verify),
  );
  const rest = items.filter((i) => !i.verify || commands.notRun.has(i.id));
  const answers = rest.length > 0 ? await byJudge(input, rest, judge) : [];
  if (!Array.isArray(answers)) return { notRun: answers.notRun };
  const noted = answers.map((j) => {
    const note = commands.notRun.get(j.id);
    return note === undefined ? j : { ...j, evidence: `${note}; judge: ${j.evidence}` };
  });
  return { judged: [...commands.decided, ...noted], commands };
}

/** Items decided by their own command; those whose command may not run are noted for the judge. */
async function byCommands(input: Omit<HeldoutInput, "runId" | "iteration">, items: Item[]): Promise<ByCommands> {
  const out: ByCommands = { decided: [], notRun: new Map(), mode: null };
  if (items.length === 0) return out;
  const mode = await modeFor(input);
  out.mode = mode.mode === "not-run" ? mode.reason : mode.mode;
  for (const item of items) {
    const command = item.verify as string;
    if (mode.mode === "not-run") {
      out.notRun.set(item.id, `\`${command}\` ${mode.reason}`);
      continue;
    }
    const options = {
      root: input.ws.root,
      home: userHome(),
      timeoutMs: COMMAND_TIMEOUT_MS,
      ...(input.privateRunDir ? { privateRunDir: input.privateRunDir } : {}),
    };
    out.decided.push({ id: item.id, method: "command", ...(await runVerifyCommand(mode, command, options)) });
  }
  return out;
}

/** An issue's commands are never run: its evaluation needs no sandbox probe. */
async function modeFor(input: Omit<HeldoutInput, "runId" | "iteration">): Promise<CommandMode> {
  const refused = refusalFor(input.spec.source);
  if (refused !== null) return { mode: "not-run", reason: refused };
  return commandMode(input.spec.source, input.sandbox ?? (await detectSandbox()), input.allowUnsandboxed ?? false);
}

/** What the next build prompt may learn: a coarse category, never the item's text. */
function reasonsOf(items: readonly Judged[]): string[] {
  return [
    ...items.filter((j) => j.status === "fail").map((j) => `a held-out acceptance item failed: ${j.category}`),
    ...items.filter((j) => j.status === "unknown").map((j) => `a held-out acceptance item could not be checked: ${j.category}`),
  ];
}

function byJudge(
  input: Omit<HeldoutInput, "runId" | "iteration">,
  items: Item[],
  judge: JudgeName,
): Promise<Omit<Judged, "category">[] | { notRun: string }> {
  return judgeItems({ root: input.ws.root, change: input.change, agent: input.agent, trust: input.trust, items, ...judge });
}
