// manifest.json of a CI artifact (`loki ci build` writes it last; `loki ci deliver` reads it first):
// which run the artifact holds and where its files are. Nothing in it is trusted for a decision — the
// signed proof decides — so it only has to be well formed. Schema only.
import { z } from "zod";
import { Outcome } from "./run-schema.ts";
import { Sha256 } from "./schema.ts";
import { lazySchema } from "./lazy-schema.ts";

export const CI_MANIFEST_VERSION = 1;
/** A run id as a path segment: the artifact names its proof directory with it. */
export const CiRunId = lazySchema(() => z.string().regex(/^[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$/, "not a loki run id"));
const Sha1 = lazySchema(() => z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "expected a git commit id"));

export const CiManifest = lazySchema(() =>
  z
    .object({
      schema_version: z.literal(CI_MANIFEST_VERSION),
      loki_version: z.string().max(64),
      run_id: CiRunId,
      /** The issue as `loki ci build` was given it (owner/repo#n). */
      issue: z.string().max(300),
      branch: z.string().max(300),
      outcome: Outcome,
      /** The run's own exit code (RUN_EXIT): `loki ci build` itself exits 0 once the artifact is whole. */
      exit_code: z.number().int(),
      start_sha: Sha1,
      head_sha: Sha1,
      /** The one commit the bundle carries: the run's head tree on its start (null without a bundle). */
      commit: Sha1.nullable(),
      cost_usd: z.number().nonnegative(),
      proof: z.object({ fingerprint: z.string().max(64), sha256: Sha256 }),
      /** run.bundle (start..head) and change.patch; null with the reason when the artifact carries no commits. */
      bundle: z.string().nullable(),
      no_bundle_reason: z.string().max(500).nullable(),
    })
    .strict(),
);
export type CiManifest = z.infer<typeof CiManifest>;

/** The bundle's one ref is this prefix and the branch (refs/loki-ci/loki/issue-7): never a branch of the checkout. */
export const CI_BUNDLE_REF = "refs/loki-ci/";

/** The files of an artifact directory, by role. */
export const CI_FILES = {
  manifest: "manifest.json",
  bundle: "run.bundle",
  patch: "change.patch",
  proofDir: "proof",
  evidenceDir: "evidence",
} as const;
