// The proof page (.loki/proofs/<run_id>/index.html): one self-contained, offline, script-free HTML
// file rendered from a REDACTED payload only. Every string from the payload goes through esc().
import type { Proof, Provenance } from "../core/proof-schema.ts";
import { PROOF_CSS } from "./css.ts";
import { esc } from "./html-escape.ts";
import { tasksSection } from "./html-tasks.ts";
import type { Redacted } from "./redact.ts";

export { esc };

const BANNER: Record<Proof["headline"]["verdict"], string> = { VERIFIED: "v-ok", "VERIFIED WITH GAPS": "v-gap", "NOT VERIFIED": "v-bad" };
const TONE: Record<string, string> = {
  pass: "s-ok",
  verified: "s-ok",
  APPROVE: "s-ok",
  passed: "s-ok",
  VERIFIED: "s-ok",
  exact: "s-ok",
  declared: "s-ok",
  revealed: "s-ok",
  skipped: "s-gap",
  inconclusive: "s-gap",
  unknown: "s-gap",
  INCONCLUSIVE: "s-gap",
  estimated: "s-gap",
  mixed: "s-gap",
  CONCERNS: "s-gap",
  none: "s-gap",
  fail: "s-bad",
  blocked: "s-bad",
  error: "s-bad",
  REJECT: "s-bad",
  failed: "s-bad",
  BLOCKED: "s-bad",
  reveal_failed: "s-bad",
  live: "s-ok",
  starting: "s-gap",
  unhealthy: "s-gap",
  stopped: "s-gap",
  crashed: "s-bad",
};

const badge = (text: string) => `<span class="badge ${TONE[text] ?? "s-gap"}">${esc(text.replaceAll("_", " "))}</span>`;
const usd = (n: number) => `$${n.toFixed(n !== 0 && n < 0.01 ? 4 : 2)}`;
const short = (sha: string) => `<code title="${esc(sha)}">${esc(sha.slice(0, 12))}</code>`;
const when = (iso: string | null) => (iso === null ? "—" : iso.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC"));
const fact = (label: string, value: string) => `<div><dt>${esc(label)}</dt><dd>${value}</dd></div>`;
const section = (id: string, title: string, body: string) => `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;

function duration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

function table(head: string[], rows: string[][], numeric: number[] = []): string {
  const cell = (tag: string, i: number, v: string) => `<${tag}${numeric.includes(i) ? ' class="num"' : ""}>${v}</${tag}>`;
  const th = head.map((h, i) => cell("th", i, esc(h))).join("");
  return `<table><thead><tr>${th}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((v, i) => cell("td", i, v)).join("")}</tr>`).join("")}</tbody></table>`;
}

function summary(p: Proof): string {
  const models = [...new Set(p.providers.used.map((u) => `${u.provider} · ${u.model}`))].join(", ") || "—";
  return section(
    "summary",
    "Run",
    `<dl class="facts">${[
      fact("run id", `<code>${esc(p.run.id)}</code>`),
      fact("outcome", `${badge(p.run.outcome)} <span class="muted">exit ${esc(p.run.exit_code)}</span>`),
      fact("iterations", esc(p.run.iterations)),
      fact("active time", esc(duration(p.run.active_ms))),
      fact("cost", `${esc(usd(p.bill.total_usd))} ${badge(p.bill.basis)}`),
      fact(
        "changed",
        `${esc(p.change.diffstat.files)} files <span class="muted">+${esc(p.change.diffstat.insertions)} −${esc(p.change.diffstat.deletions)}</span>`,
      ),
      fact("started", esc(when(p.run.started_at))),
      fact("finished", esc(when(p.run.finished_at))),
      fact("models", esc(models)),
    ].join(
      "",
    )}</dl><p class="muted">${esc(p.run.reason)}</p>${p.run.pr_url ? `<p>pull request: <code>${esc(p.run.pr_url)}</code></p>` : ""}`,
  );
}

function verifyYourself(p: Proof): string {
  return section(
    "verify",
    "Verify this yourself",
    `<p>In a clone of the repository that contains commit ${short(p.change.head_sha)}, with this proof in <code>.loki/proofs/${esc(p.run.id)}/</code>, run:</p>` +
      `<pre class="cmd"><code>${esc(p.verify_command)}</code></pre>` +
      `<p class="muted">It re-hashes the payload, checks the ed25519 signature and re-derives <code>git diff ${esc(p.change.start_sha.slice(0, 12))} ${esc(p.change.head_sha.slice(0, 12))}</code>. Exit 0 clean, 1 tampered or drifted, 3 cannot check.</p>`,
  );
}

function bill(p: Proof): string {
  const rows = p.bill.by_model.map((m) => [
    `<code>${esc(m.model)}</code><br><span class="muted">${esc(m.provider)} · ${esc(m.calls)} calls</span>`,
    `${esc(m.tokens.input)} / ${esc(m.tokens.output)}`,
    esc(usd(m.usd)),
    badge(m.basis),
  ]);
  rows.push(["<strong>total</strong>", "", `<strong>${esc(usd(p.bill.total_usd))}</strong>`, badge(p.bill.basis)]);
  const budget =
    p.bill.budget.limit_usd === null ? "no budget cap" : `budget ${usd(p.bill.budget.limit_usd)}, spent ${usd(p.bill.budget.spent_usd)}`;
  return section(
    "bill",
    "The bill",
    table(["model", "tokens in / out", "USD", "basis"], rows, [1, 2]) +
      `<p class="muted">${esc(budget)}. Exact = reported by the provider; declared = tokens at the price the user declared for the provider; estimated = computed from tokens.</p>`,
  );
}

function change(p: Proof): string {
  const c = p.change;
  const files = table(
    ["file", "+", "−"],
    c.files.map((f) => [
      `<code>${esc(f.path)}</code>${f.binary ? ' <span class="muted">binary</span>' : ""}`,
      esc(f.insertions),
      esc(f.deletions),
    ]),
    [1, 2],
  );
  const diff =
    c.diff === null
      ? `<p class="muted">The full diff is not included (write the proof with <code>--include-diff</code>); its sha256 is recorded above.</p>`
      : `<details><summary>Full diff</summary><pre class="diff">${esc(c.diff)}</pre></details>`;
  return section(
    "change",
    "What changed",
    `<p>${short(c.start_sha)} → ${short(c.head_sha)} on <code>${esc(c.branch ?? "(detached)")}</code>: <strong>${esc(c.diffstat.files)} files, +${esc(c.diffstat.insertions)} −${esc(c.diffstat.deletions)}</strong></p>` +
      `<p class="muted">diff sha256 <code>${esc(c.diff_sha256)}</code></p>${files}${diff}`,
  );
}

function findings(list: readonly { severity: string; file?: string; line?: number; message: string }[]): string {
  if (list.length === 0) return "";
  return `<ul class="items">${list.map((f) => `<li>${badge(f.severity)} ${f.file ? `<code>${esc(f.file)}${f.line ? `:${esc(f.line)}` : ""}</code> ` : ""}${esc(f.message)}</li>`).join("")}</ul>`;
}

function gates(p: Proof): string {
  const from = {
    evidence: "the run's evidence.json",
    iteration: "the last iteration's gates.json",
    none: "nothing: no gate results were recorded",
  }[p.gates.source];
  const rows = p.gates.results.map((g) => [
    `<strong>${esc(g.id)}</strong><br><span class="muted">${esc(g.title)}</span>`,
    badge(g.status),
    esc(g.reason) + findings(g.findings),
  ]);
  return section(
    "gates",
    "Gates",
    `<p class="muted">From ${esc(from)}${p.gates.verdict ? `; verdict ${badge(p.gates.verdict)}` : ""}</p>${rows.length ? table(["gate", "status", "why"], rows) : ""}`,
  );
}

/** The Live App Preview at the run's end and its health history; the URL is text, never a link. */
function preview(p: Proof): string {
  const v = p.preview;
  if (!v) return "";
  const sandbox = v.sandboxed ? "sandboxed" : '<span class="badge s-bad">unsandboxed</span>';
  const what = `${esc(v.framework ?? v.kind)} · <code>${esc(v.command)}</code> · ${sandbox}`;
  const last = v.health.findLast((r) => r.status !== "live");
  const head =
    v.status === "live"
      ? `<p>${badge("live")} Live app: <code>${esc(v.url ?? "(no address)")}</code> — live since ${esc(when(v.live_at))}</p>`
      : `<p>${badge(v.status)} The app was not live at the end of the run${last?.detail ? `: ${esc(last.detail)}` : ""}.</p>`;
  const rows = v.health.map((r) => [
    esc(when(r.ts)),
    badge(r.status),
    r.http === null ? "—" : esc(r.http),
    r.ms === null ? "—" : esc(duration(r.ms)),
    esc(r.detail ?? ""),
  ]);
  return section(
    "preview",
    "Live app",
    `${head}<p class="muted">${what}; restarted ${esc(v.restarts)} time${v.restarts === 1 ? "" : "s"}.</p>` +
      (rows.length ? table(["when", "status", "HTTP", "took", "why"], rows, [2, 3]) : `<p class="muted">No health record was kept.</p>`),
  );
}

/** What memory did for the run: the earlier runs' episodes it was given, and whether it failed as they had. */
function memory(p: Proof): string {
  const m = p.memory;
  if (!m) return "";
  const given =
    m.given.length === 0
      ? "Its prompts were given no memory of earlier runs."
      : `Its prompts were given ${esc(m.given.length)} memor${m.given.length === 1 ? "y" : "ies"} of earlier runs: ${m.given.map((id) => `<code>${esc(id)}</code>`).join(", ")}.`;
  const repeats = `${esc(m.failures)} distinct failure${m.failures === 1 ? "" : "s"}; ${esc(m.repeats)} of them an earlier run of this project had already hit; ${esc(m.hit_again)} hit again although a memory given had described ${m.hit_again === 1 ? "it" : "them"}.`;
  const basis =
    "Counted from fingerprints of the checks' output, which the code under test prints: a measure of memory, not part of the verdict.";
  return section("memory", "Memory", `<p>${given}</p><p class="muted">${repeats}</p><p class="muted">${basis}</p>`);
}

function council(p: Proof): string {
  if (p.council.length === 0)
    return section("council", "Council", `<p>${badge("none")} No council round ran: the diff had no blind review.</p>`);
  const rounds = p.council.map((r) => {
    const reviewers = [...r.reviewers, ...(r.devils_advocate ? [r.devils_advocate] : [])];
    const body = reviewers
      .map(
        (v) =>
          `<h3>${esc(v.role)} ${badge(v.verdict)} <span class="muted">${esc(v.provider)} · ${esc(v.model)}</span></h3>${v.note ? `<p class="muted">${esc(v.note)}</p>` : ""}${v.mutation ? `<p>${badge("fail")} the reviewer changed the working tree; its verdict was discarded</p>` : ""}${findings(v.findings)}`,
      )
      .join("");
    return `<details${r === p.council.at(-1) ? " open" : ""}><summary>Round ${esc(r.round)} (iteration ${esc(r.iteration)}) ${badge(r.passed ? "passed" : "failed")}</summary>${r.reasons.length ? `<ul class="items">${r.reasons.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>` : ""}${body}</details>`;
  });
  return section("council", "Council", rounds.join(""));
}

function heldOut(p: Proof): string {
  const h = p.held_out;
  const head = `<p>${badge(h.status)} ${esc(h.count)} of ${esc(h.total_items)} items ${h.count === 1 ? "was" : "were"} held out from the agent${h.detail ? ` — ${esc(h.detail)}` : ""}.</p>`;
  const evaluation = h.evaluation
    ? `<p class="muted">Evaluated in iteration ${esc(h.evaluation.iteration)}: ${esc(h.evaluation.passed)} passed, ${esc(h.evaluation.failed)} failed, ${esc(h.evaluation.unknown)} unknown.</p>`
    : h.status === "revealed"
      ? `<p class="muted">The held-out items were never evaluated.</p>`
      : "";
  const items = h.items.map(
    (i) =>
      `<li><code>${esc(i.id)}</code> ${esc(i.text)} ${badge(i.result?.status ?? "unknown")}${i.result ? `<br><span class="muted">${esc(i.result.method)}: ${esc(i.result.evidence)}</span>` : ""}</li>`,
  );
  return section("heldout", "Held-out reveal", head + evaluation + (items.length ? `<ul class="items">${items.join("")}</ul>` : ""));
}

function spec(p: Proof): string {
  const s = p.spec;
  const items = s.items.map(
    (i) => `<li><code>${esc(i.id)}</code> ${esc(i.text)}${i.held_out ? ' <span class="badge s-gap">held out</span>' : ""}</li>`,
  );
  return section(
    "spec",
    "The spec",
    `<p><strong>${esc(s.title)}</strong> <span class="muted">${esc(s.source.kind)} · ${esc(s.source.ref)}</span></p><p class="muted">sha256 <code>${esc(s.source.sha256)}</code></p><ul class="items">${items.join("")}</ul>`,
  );
}

function timing(p: Proof): string {
  const rows = p.timing.iterations.map((i) => [esc(i.n), esc(i.started_at.slice(11, 19)), esc(duration(i.duration_ms)), esc(usd(i.usd))]);
  return section(
    "timing",
    "Timing",
    `<p>Active ${esc(duration(p.run.active_ms))} between ${esc(when(p.run.started_at))} and ${esc(when(p.run.finished_at))}.</p>${rows.length ? table(["#", "started", "took", "USD"], rows, [0, 2, 3]) : ""}`,
  );
}

function providers(p: Proof): string {
  const used = table(
    ["provider", "model", "role", "calls"],
    p.providers.used.map((u) => [esc(u.provider), esc(u.model), esc(u.role), esc(u.calls)]),
    [3],
  );
  const failovers = p.providers.failovers.map(
    (f) => `<li>iteration ${esc(f.iteration)}: ${esc(f.from)} → ${esc(f.to)} (${esc(f.reason)})</li>`,
  );
  const endpoints = Object.entries(p.providers.endpoints ?? {}).map(([id, origin]) => `${esc(id)} → <code>${esc(origin)}</code>`);
  return section(
    "providers",
    "Provider and models",
    `<p>Failover chain: <code>${esc(p.providers.chain.join(" → ") || "—")}</code></p>${endpoints.length ? `<p>Custom endpoints: ${endpoints.join(", ")}</p>` : ""}${used}${failovers.length ? `<h3>Failovers</h3><ul class="items">${failovers.join("")}</ul>` : ""}`,
  );
}

function provenance(p: Proof, prov: Provenance): string {
  const hits = p.redaction.hits.map((h) => `${h.rule} × ${h.count}`).join(", ");
  return section(
    "provenance",
    "Provenance",
    `<dl class="facts">${[fact("algorithm", esc(prov.algorithm)), fact("key fingerprint", `<code>${esc(prov.key_fingerprint)}</code>`), fact("loki", esc(p.loki_version)), fact("generated", esc(when(p.generated_at)))].join("")}</dl>` +
      `<p>canonical sha256 <code>${esc(prov.canonical_sha256)}</code></p>` +
      `<details><summary>Signature and public key</summary><pre>${esc(prov.signature)}</pre><pre>${esc(prov.public_key)}</pre></details>` +
      `<p>Redaction: ${p.redaction.total === 0 ? "nothing needed redacting" : `${esc(p.redaction.total)} replaced (${esc(hits)})`}.</p>`,
  );
}

export function renderProofHtml(proof: Redacted<Proof>, prov: Provenance): string {
  const p: Proof = proof;
  const h = p.headline;
  const banner = `<header class="banner ${BANNER[h.verdict]}"><p class="kicker">loki proof of run · ${esc(p.spec.title)}</p><h1 id="headline">${esc(h.verdict)}</h1><ul>${h.reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ul></header>`;
  const body = [
    banner,
    summary(p),
    verifyYourself(p),
    bill(p),
    change(p),
    gates(p),
    tasksSection(p),
    preview(p),
    memory(p),
    council(p),
    heldOut(p),
    spec(p),
    timing(p),
    providers(p),
    provenance(p, prov),
  ]
    .filter((part) => part !== "")
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<title>${esc(h.verdict)} — loki proof ${esc(p.run.id)}</title>
<style>${PROOF_CSS}</style>
</head>
<body>
<main>
${body}
<footer>Written by loki ${esc(p.loki_version)} at ${esc(when(p.generated_at))}. This page loads nothing from the network.</footer>
</main>
</body>
</html>
`;
}
