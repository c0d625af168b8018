// The trust list (~/.loki/trusted-keys.json): the public keys, besides this machine's own, whose
// signatures make a proof CLEAN. Schema only; reading, adding and matching keys live in src/proof/.
import { z } from "zod";
import { IsoTime, Version } from "./schema.ts";
import { lazySchema } from "./lazy-schema.ts";

/** First 16 hex of sha256 over the DER (SPKI) public key, as every proof records it. */
export const KeyFingerprint = lazySchema(() => z.string().regex(/^[0-9a-f]{16}$/, "a key fingerprint is 16 lowercase hex characters"));
export type KeyFingerprint = z.infer<typeof KeyFingerprint>;

export const TrustedKey = lazySchema(() =>
  z.object({
    fingerprint: KeyFingerprint,
    /** SPKI PEM of the ed25519 public key: a signer is matched on the whole key, not only its fingerprint. */
    public_key: z.string().includes("-----BEGIN PUBLIC KEY-----"),
    label: z.string().min(1).max(200),
    added_at: IsoTime,
  }),
);
export type TrustedKey = z.infer<typeof TrustedKey>;

export const TrustedKeys = lazySchema(() =>
  z
    .object({ schema_version: Version, keys: z.array(TrustedKey) })
    .refine((list) => new Set(list.keys.map((k) => k.fingerprint)).size === list.keys.length, {
      message: "a fingerprint is listed twice",
      path: ["keys"],
    }),
);
export type TrustedKeys = z.infer<typeof TrustedKeys>;
