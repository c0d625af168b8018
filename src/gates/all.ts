// The gates `loki verify` and every loop iteration run, in report order: cheap structural checks
// and red/green evidence first, trust checks last. A gate added to src/gates/ is live only once listed here.
import { buildGate } from "./build.ts";
import { depsGate } from "./deps.ts";
import { differentialGate } from "./differential.ts";
import { emptyDiffGate } from "./empty-diff.ts";
import type { Gate } from "./gate.ts";
import { gitIntegrityGate } from "./git-integrity.ts";
import { graderConfigGate } from "./grader-config.ts";
import { heldoutGate } from "./heldout.ts";
import { mutationGate } from "./mutation.ts";
import { secretsGate } from "./secrets.ts";
import { specDriftGate } from "./spec-drift.ts";
import { staticGate } from "./static.ts";
import { tamperGate } from "./tamper.ts";
import { testImportsGate } from "./test-imports.ts";
import { testsGate } from "./tests.ts";

export const ALL_GATES: readonly Gate[] = [
  emptyDiffGate,
  buildGate,
  testsGate,
  differentialGate,
  mutationGate,
  staticGate,
  secretsGate,
  depsGate,
  tamperGate,
  testImportsGate,
  graderConfigGate,
  gitIntegrityGate,
  specDriftGate,
  heldoutGate,
];
