// The grading configuration a diff cannot change: the commands, secret suppressions and attributes
// read at the base (run start, or the merge base for `loki verify`), kept in run state and evidence.
import { z } from "zod";
import { lazySchema } from "./lazy-schema.ts";

export const FrozenCommand = lazySchema(() => z.object({ argv: z.array(z.string()), source: z.string(), shell: z.string().optional() }));

export const GraderConfig = lazySchema(() =>
  z.object({
    /** Where it was read: "commit <sha>" or "working tree" (what the user had at run start). */
    origin: z.string(),
    /** Read from files on disk (a run: what the user had at start, ignored files included) or from a
     *  commit's tree; the head is read the same way, so like is compared with like. */
    read_from: z.enum(["working tree", "commit"]).optional(),
    kinds: z.array(z.string()),
    test: FrozenCommand.nullable(),
    build: FrozenCommand.nullable(),
    lint: FrozenCommand.nullable(),
    /** loki.yaml's `verify:` section as it was. */
    verify: z.record(z.string(), z.string()),
    /** loki.yaml's other trust settings as they were (`heldout`, `council`, `sandbox`, `allow_root`):
     *  key → JSON. A diff that turns off the held-out check, the council or the sandbox for the runs
     *  after it changes how they are graded. Absent in configurations frozen by an older loki. */
    settings: z.record(z.string(), z.string()).optional(),
    /** The root .lokiignore's text, null when there was none. */
    lokiignore: z.string().nullable(),
    /** The root .gitattributes' text, null when there was none (nested ones are judged by the diff's paths). */
    gitattributes: z.string().nullable(),
    /** Package scripts the frozen commands call (transitively, with pre/post): name → body. */
    scripts: z.record(z.string(), z.string()).optional(),
    /** Repository files the frozen commands name (a test script, the Makefile): path → sha256. */
    files: z.record(z.string(), z.string()).optional(),
    /** Runner settings inside package.json (`jest`, `mocha`…): key → JSON. */
    runner_config: z.record(z.string(), z.string()).optional(),
    /** The programs the frozen commands start (gates/programs.ts): word → resolved path and
     *  fingerprint, taken at run start; absent outside a run. */
    programs: z.record(z.string(), z.string()).optional(),
  }),
);
export type GraderConfig = z.infer<typeof GraderConfig>;
