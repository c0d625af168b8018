// Fault injection for tests and bench/reliability.ts only: with LOKI_TEST_HOLD_AT=<point>, a run writes
// .loki/tmp/held-at when it reaches that point and waits there, to be killed with kill -9 — the points
// where a crash must leave nothing torn and nothing a resume cannot finish. Without it, nothing happens.
import { join } from "node:path";
import { writeFileAtomic, type Workspace } from "../core/workspace.ts";

/** Where a run can be held: the steps of its end (run/finish.ts), and the loop's writes held for a save (run-state.ts stage). */
export type HoldPoint =
  | "finish:completion"
  | "finish:proof"
  | "finish:state"
  | "finish:event"
  | "loop:act"
  | "loop:billed"
  | "loop:iteration-end";

/** How long a held point waits before going on (a forgotten hold must not hang a run for good). */
const HOLD_MS = 10 * 60_000;

export async function holdAt(point: HoldPoint, ws: Workspace, env: Record<string, string | undefined>): Promise<void> {
  if (env.LOKI_TEST_HOLD_AT !== point) return;
  writeFileAtomic(join(ws.dir, "tmp", "held-at"), `${point}\n`);
  await Bun.sleep(HOLD_MS);
}
