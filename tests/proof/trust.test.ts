// Proofs verify against trusted keys, from a REAL run: a proof an agent re-signs with a fresh key is
// "untrusted signer" (exit 1), never CLEAN — until the user passes --key or `loki proof trust`s that
// key; the trust list's add, list, remove, malformed keys and a corrupt list file (exit 3).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lokiHomeAt } from "../../src/core/workspace.ts";
import { fingerprintOf, keyPaths, localFingerprint, proofDigest } from "../../src/proof/sign.ts";
import { judgeSigner, type TrustList } from "../../src/proof/trust.ts";
import { loki, type CliResult } from "../helpers/cli.ts";
import { scenarioRepo, type Scenario } from "../helpers/scenario.ts";

let s: Scenario;
let runId: string;
let startStderr: string;
let local: string;
const dirs: string[] = [];

beforeAll(async () => {
  s = await scenarioRepo("honest", "council: false\n");
  const start = await s.loki(["start", "prd.md"]);
  expect(start.code).toBe(0);
  startStderr = start.stderr;
  runId = s.completion().run_id;
  local = localFingerprint() ?? "no local key";
});
afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await s[Symbol.asyncDispose]();
});

const scratch = (prefix: string) => dirs[dirs.push(mkdtempSync(join(tmpdir(), prefix))) - 1] ?? "";

/** A twin of the run's repository and a HOME of its own holding this machine's key (and no trust list). */
function twin(): {
  repo: string;
  home: string;
  proof: string;
  verify: (args?: string[]) => Promise<CliResult>;
  cli: (args: string[]) => Promise<CliResult>;
} {
  const repo = scratch("loki-trust-repo-");
  cpSync(s.path, repo, { recursive: true });
  const home = scratch("loki-trust-home-");
  cpSync(keyPaths().dir, lokiHomeAt(home).keys, { recursive: true });
  const cli = (args: string[]) => loki(args, { cwd: repo, env: { ...s.env, HOME: home } });
  return {
    repo,
    home,
    proof: join(repo, ".loki", "proofs", runId, "proof.json"),
    cli,
    verify: (args = []) => cli(["proof", "verify", runId, "--json", ...args]),
  };
}

type Fresh = { privateKey: KeyObject; publicKey: KeyObject; pem: string; fingerprint: string };
function freshKey(): Fresh {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, publicKey, pem: String(publicKey.export({ type: "spki", format: "pem" })), fingerprint: fingerprintOf(publicKey) };
}

type Provenance = { canonical_sha256: string; signature: string; public_key: string; key_fingerprint: string };
type ProofJson = { payload: { headline: { verdict: string; reasons: string[] } }; provenance: Provenance };

/** The attack: upgrade the headline, recompute the canonical hash, sign it with `key`, embed `embed`. */
function reSign(path: string, key: Fresh, embed: { pem: string; fingerprint: string } = key): void {
  const proof = JSON.parse(readFileSync(path, "utf8")) as ProofJson;
  proof.payload.headline = { verdict: "VERIFIED", reasons: ["council round 1 passed (3 of 3 approved)"] };
  const digest = proofDigest(2, proof.payload);
  proof.provenance = {
    ...proof.provenance,
    canonical_sha256: digest,
    signature: sign(null, Buffer.from(digest, "utf8"), key.privateKey).toString("base64"),
    public_key: embed.pem,
    key_fingerprint: embed.fingerprint,
  };
  writeFileSync(path, `${JSON.stringify(proof, null, 2)}\n`);
}

type Report = {
  status: string;
  exit_code: number;
  signer: { fingerprint: string | null; trusted_by: string | null; label: string | null };
  checks: { name: string; ok: boolean; detail: string }[];
};
const report = (result: CliResult) => result.json<Report>();
const failed = (r: Report) => r.checks.filter((c) => !c.ok).map((c) => c.name);

describe("who signed a proof", () => {
  test("every run ends by naming the key that signed its proof", () => {
    expect(local).toMatch(/^[0-9a-f]{16}$/);
    expect(startStderr).toContain(`proof signed by ${local} (loki proof verify ${runId})`);
    expect(s.proof().provenance.key_fingerprint).toBe(local);
  });

  test("the honest proof, signed by this machine's key, is CLEAN with no trust list at all", async () => {
    const t = twin();
    const result = await t.verify();
    expect(result.code).toBe(0);
    expect(report(result)).toMatchObject({
      status: "clean",
      exit_code: 0,
      signer: { fingerprint: local, trusted_by: "local", label: null },
    });
    const text = await t.cli(["proof", "verify", runId]);
    expect([text.code, text.stdout]).toEqual([0, expect.stringContaining(`signed with this machine's key ${local}`)]);
  });

  test("a proof re-signed with a fresh key is UNTRUSTED SIGNER (exit 1), naming the key and the command to trust it", async () => {
    const t = twin();
    const attacker = freshKey();
    reSign(t.proof, attacker);
    const result = await t.verify();
    expect(result.code).toBe(1);
    const r = report(result);
    expect(r).toMatchObject({ status: "untrusted_signer", exit_code: 1, signer: { fingerprint: attacker.fingerprint, trusted_by: null } });
    // Everything else checks out: the hash, the signature and the diff are all consistent.
    expect(failed(r)).toEqual(["signer"]);
    const text = await t.cli(["proof", "verify", runId]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`proof of run ${runId}: UNTRUSTED SIGNER`);
    expect(text.stdout).not.toContain("CLEAN");
    expect(text.stdout).toContain(`signed by ${attacker.fingerprint}, a key you have not trusted`);
    expect(text.stderr).toContain(`loki proof trust ${attacker.fingerprint}`);
    // Nor is it shared: `proof share` refuses it before any token or network is touched.
    const share = await t.cli(["proof", "share", runId, "--yes"]);
    expect(share.code).toBe(3);
    expect(share.stderr).toContain("untrusted signer");
  });

  test("--key makes that one key trusted for that one check, and no other", async () => {
    const t = twin();
    const attacker = freshKey();
    reSign(t.proof, attacker);
    const pubFile = join(t.home, "attacker.pub");
    writeFileSync(pubFile, attacker.pem);
    const byFile = await t.verify(["--key", pubFile]);
    expect([byFile.code, report(byFile).status, report(byFile).signer.trusted_by]).toEqual([0, "clean", "key_option"]);
    expect((await t.verify(["--key", attacker.fingerprint])).code).toBe(0);
    const other = await t.verify(["--key", freshKey().fingerprint]);
    expect([other.code, report(other).status]).toEqual([1, "untrusted_signer"]);
    // Nothing was remembered.
    expect(report(await t.verify()).status).toBe("untrusted_signer");
  });

  test("a fresh key cannot borrow a trusted key's name: claiming its fingerprint or embedding its public key is tampered", async () => {
    const t = twin();
    const localPem = readFileSync(keyPaths(t.home).pub, "utf8");
    const attacker = freshKey();
    reSign(t.proof, attacker, { pem: attacker.pem, fingerprint: local });
    const claimed = report(await t.verify());
    expect([claimed.status, failed(claimed)]).toEqual(["tampered", ["key", "signer"]]);
    const u = twin();
    reSign(u.proof, freshKey(), { pem: localPem, fingerprint: local });
    const embedded = report(await u.verify());
    expect([embedded.status, failed(embedded)]).toEqual(["tampered", ["signature"]]);
  });
});

describe("loki proof trust", () => {
  test("trusting the signer's fingerprint (found in a proof here) makes it CLEAN; --remove takes it back", async () => {
    const t = twin();
    const attacker = freshKey();
    reSign(t.proof, attacker);
    const added = await t.cli(["proof", "trust", attacker.fingerprint]);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(`trusted ${attacker.fingerprint} ("signer of run ${runId}")`);
    const listed = JSON.parse(readFileSync(lokiHomeAt(t.home).trustedKeys, "utf8"));
    expect(listed).toMatchObject({
      schema_version: 1,
      keys: [{ fingerprint: attacker.fingerprint, public_key: attacker.pem, label: `signer of run ${runId}` }],
    });
    const verified = await t.verify();
    expect([verified.code, report(verified).signer]).toEqual([
      0,
      { fingerprint: attacker.fingerprint, trusted_by: "listed", label: `signer of run ${runId}` },
    ]);
    expect((await t.cli(["proof", "trust", attacker.fingerprint])).stdout).toContain("trusted already");

    const removed = await t.cli(["proof", "trust", "--remove", attacker.fingerprint]);
    expect([removed.code, removed.stdout]).toEqual([0, expect.stringContaining(`no longer trusted: ${attacker.fingerprint}`)]);
    expect(report(await t.verify()).status).toBe("untrusted_signer");
    const again = await t.cli(["proof", "trust", "--remove", attacker.fingerprint]);
    expect([again.code, again.stderr]).toEqual([3, expect.stringContaining("loki proof trust --list")]);
  });

  test("a teammate's key by public key file or pasted PEM, with a label; --list shows this machine's key first", async () => {
    const t = twin();
    const alice = freshKey();
    const bob = freshKey();
    const file = join(t.home, "alice.pub");
    writeFileSync(file, alice.pem);
    expect((await t.cli(["proof", "trust", file, "--label", "alice"])).code).toBe(0);
    expect((await t.cli(["proof", "trust", "--", bob.pem])).code).toBe(0);
    const list = await t.cli(["proof", "trust", "--list", "--json"]);
    expect(list.json()).toEqual({
      path: lokiHomeAt(t.home).trustedKeys,
      local: { fingerprint: local },
      keys: [
        { fingerprint: alice.fingerprint, public_key: alice.pem, label: "alice", added_at: expect.any(String) },
        { fingerprint: bob.fingerprint, public_key: bob.pem, label: "pasted PEM", added_at: expect.any(String) },
      ],
    });
    const text = (await t.cli(["proof", "trust", "--list"])).stdout.split("\n");
    expect(text[0]).toBe(`${local}  this machine's key (trusted without being listed)`);
    expect(text[1]).toStartWith(`${alice.fingerprint}  alice  (added `);
    reSign(t.proof, alice);
    expect(report(await t.verify())).toMatchObject({ status: "clean", signer: { trusted_by: "listed", label: "alice" } });
    const mine = await t.cli(["proof", "trust", local]);
    expect([mine.code, mine.stdout]).toEqual([0, expect.stringContaining("this machine's key: trusted already")]);
  });

  test.each<[string, (dir: string) => string, RegExp]>([
    ["a word", () => "not-a-key", /is not a key fingerprint \(16 hex characters\), a public key file or a PEM public key/],
    ["a fingerprint no proof here was signed by", () => "0123456789abcdef", /no proof in .* is signed by 0123456789abcdef/],
    ["a file of garbage", (dir) => write(dir, "garbage.pub", "hello\n"), /is not a PEM public key/],
    [
      "a private key",
      (dir) => write(dir, "id.key", String(generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }))),
      /holds a PRIVATE key/,
    ],
    [
      "an RSA key",
      (dir) =>
        write(
          dir,
          "rsa.pub",
          String(generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" })),
        ),
      /is a rsa key; loki signs proofs with ed25519 keys/,
    ],
  ])("%s is refused (exit 3) with the next command", async (_name, arg, message) => {
    const t = twin();
    const result = await t.cli(["proof", "trust", arg(t.home)]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/hint: .*(loki proof trust|ed25519\.pub)/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    // As --key, a fingerprint is taken as given (the proof's signer is compared with it); the rest are refused alike.
    if (!/^[0-9a-f]{16}$/.test(arg(t.home))) expect((await t.verify(["--key", arg(t.home)])).code).toBe(3);
  });

  test.each<[string, (t: ReturnType<typeof twin>) => string]>([
    ["not JSON", () => "{ not json"],
    ["the wrong shape", () => JSON.stringify({ schema_version: 1, keys: [{ fingerprint: "xyz" }] })],
    [
      "a key listed under another key's fingerprint",
      () =>
        JSON.stringify({
          schema_version: 1,
          keys: [{ fingerprint: local, public_key: freshKey().pem, label: "forged", added_at: "2026-01-01T00:00:00Z" }],
        }),
    ],
  ])("a trust list that is corrupt (%s) is a clear error, exit 3, never an empty list", async (_name, content) => {
    const t = twin();
    const path = lokiHomeAt(t.home).trustedKeys;
    mkdirSync(lokiHomeAt(t.home).dir, { recursive: true });
    const text = content(t);
    writeFileSync(path, text);
    for (const args of [
      ["proof", "verify", runId],
      ["proof", "trust", "--list"],
      ["proof", "trust", "--", freshKey().pem],
    ]) {
      const result = await t.cli(args);
      expect({ args, code: result.code }).toEqual({ args, code: 3 });
      expect(result.stderr).toContain(path);
      expect(result.stderr).toContain(`hint: move it aside (mv ${path} ${path}.bad)`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(readFileSync(path, "utf8")).toBe(text);
  });

  test("one of a key, --list or --remove; a malformed fingerprint to --remove is exit 3", async () => {
    const t = twin();
    expect((await t.cli(["proof", "trust", local, "--list"])).code).toBe(3);
    const bad = await t.cli(["proof", "trust", "--remove", "zz"]);
    expect([bad.code, bad.stderr]).toEqual([3, expect.stringContaining("is not a key fingerprint")]);
    expect((await t.cli(["proof", "trust", "--remove", local])).code).toBe(3);
  });
});

describe("judgeSigner()", () => {
  const list = (keys: TrustList["keys"]): TrustList => ({ path: "/h/.loki/trusted-keys.json", keys });
  test("a key listed under the signer's fingerprint but not the signer's key is not trusted", () => {
    const signer = freshKey();
    const other = freshKey();
    const forged = {
      fingerprint: signer.fingerprint,
      public_key: other.pem,
      label: "alice",
      added_at: "2026-01-01T00:00:00Z",
      publicKey: other.publicKey,
    };
    const judged = judgeSigner(signer.publicKey, { local: null, list: list([forged]), oneOff: null });
    expect(judged).toMatchObject({ trusted: false, by: null });
    expect(judged.detail).toContain('is that of "alice", but the key itself is different');
  });

  test("the local key, a listed key, a one-off key — in that order", () => {
    const me = freshKey();
    const listed = {
      fingerprint: me.fingerprint,
      public_key: me.pem,
      label: "me too",
      added_at: "2026-01-01T00:00:00Z",
      publicKey: createPublicKey(me.pem),
    };
    const oneOff = { fingerprint: me.fingerprint, key: null, source: "fingerprint" };
    expect(judgeSigner(me.publicKey, { local: me.publicKey, list: list([listed]), oneOff }).by).toBe("local");
    expect(judgeSigner(me.publicKey, { local: null, list: list([listed]), oneOff }).by).toBe("listed");
    expect(judgeSigner(me.publicKey, { local: null, list: list([]), oneOff }).by).toBe("key_option");
    expect(judgeSigner(me.publicKey, { local: freshKey().publicKey, list: list([]), oneOff: null }).trusted).toBe(false);
  });
});

const write = (dir: string, name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
