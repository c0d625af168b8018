// Runs one held-out evaluation in a process of its own, so loki's environment — tokens included —
// is set from its start as in a real run (visible in /proc too). Prints {outcome, trust} as JSON.
// Usage: bun heldout-child.ts <repo> <run-id> sandbox|unsandboxed
import { Spec } from "../../src/core/schema.ts";
import { readJson, workspaceAt } from "../../src/core/workspace.ts";
import { evaluateHeldOut } from "../../src/review/heldout-eval.ts";
import { detectSandbox } from "../../src/sandbox/detect.ts";
import { subjectOf } from "../helpers/subject.ts";
import { scriptedJudge } from "./fixture.ts";

const [root, runId, mode] = process.argv.slice(2);
if (!root || !runId || (mode !== "sandbox" && mode !== "unsandboxed"))
  throw new Error("usage: heldout-child.ts <repo> <run-id> sandbox|unsandboxed");
const ws = workspaceAt(root);
const spec = readJson(ws.spec, Spec);
if (!spec) throw new Error(`no spec at ${ws.spec}`);
const trust: { kind: string; data: Record<string, unknown> }[] = [];
// Unsandboxed: what `--no-sandbox` does on a host without bwrap (found nowhere on this PATH).
const sandbox = mode === "sandbox" ? await detectSandbox() : await detectSandbox({ pathEnv: "/nonexistent" });
const outcome = await evaluateHeldOut({
  ws,
  runId,
  iteration: 1,
  change: subjectOf([], { root, base: "HEAD", head: "HEAD", includesWorktree: false }),
  spec,
  agent: scriptedJudge("pass"),
  trust: (kind, data) => trust.push({ kind, data }),
  sandbox,
  allowUnsandboxed: mode === "unsandboxed",
});
process.stdout.write(`${JSON.stringify({ outcome, trust })}\n`);
