// The loki dashboard page script (served as /app.js): sign-in (the token in memory only), snapshot → render, SSE feed,
// watchdog, controls, and the Live App panel (the app framed only on a click, sandboxed, from a checked address).
// Over 400 lines because the contract serves one script and the page has no build step; untrusted text
// goes in only through textContent/createElement (never innerHTML), and nothing here can waive or skip.
"use strict";

const $ = (id) => document.getElementById(id);
let TOKEN = "";
let signInFailed = false;
const LIVE = ["running", "paused", "starting", "stopping"];
const FEED_CAP = 2000;
const STALE_MS = 15_000;
const REFETCH_MS = 250;

/** An element with a class and children: strings become text nodes, null/false are skipped. */
function h(tag, cls, ...kids) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined && kid !== false) el.append(kid instanceof Node ? kid : String(kid));
  return el;
}
const body = (id) => $(id).querySelector(".body");
const fill = (id, ...kids) => body(id).replaceChildren(...kids.flat().filter(Boolean));
const unknown = () => h("span", "unknown", "unknown");
const has = (v) => v !== null && v !== undefined;
const usd = (v) => (has(v) ? `$${v < 10 ? v.toFixed(2) : v.toFixed(1)}` : "unknown");
const usdEl = (v) => (has(v) ? h("span", "num", usd(v)) : unknown());
function dur(ms) {
  if (!has(ms)) return "unknown";
  const s = Math.round(ms / 1000);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (s < 60) return `${(ms / 1000).toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} m`;
}
function ago(iso) {
  const t = Date.parse(iso ?? "");
  if (Number.isNaN(t)) return "unknown";
  const s = Math.max(0, Math.round((Date.now() - t) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.floor(s / 60)} min ago` : `${Math.floor(s / 3600)} h ago`;
}
const clock = (iso) => (iso && iso.length >= 19 ? iso.slice(11, 19) : "--:--:--");
const chip = (text, kind) => h("span", `chip ${kind ?? ""}`, text);
const kv = (label, ...value) => h("div", "kv", h("span", "k", label), h("span", "v", ...value));
const loc = (f) => (f.file ? `${f.file}${f.line ? `:${f.line}` : ""}` : "");
const tone = (s) =>
  /^(pass|passed|verified|approve|ok|clean|running|completed)$/i.test(s ?? "")
    ? "good"
    : /^(fail|failed|blocked|reject|tampered|error|dead|crashed|budget_exceeded|unsandboxed)$/i.test(s ?? "")
      ? "bad"
      : "warn";

// ---- the run's token: the printed link carries a one-use key `k` (the browser's history keeps that address, and the
// agent's sandbox can read history), traded once over POST for the token, which then lives in this variable only:
// never in sessionStorage or localStorage (Chromium writes those into its profile on disk, readable by the sandbox),
// a cookie, IndexedDB or a URL. So a reload or a new tab needs a fresh link; the page says so and asks for nothing ----
async function signIn() {
  const link = new URLSearchParams(location.search);
  const key = link.get("k");
  let token = link.get("t") ?? ""; // tests only: nothing loki prints or opens carries the token
  if (key) {
    const res = await fetch("/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ key }),
    }).catch(() => null);
    const answer = res?.ok ? await res.json().catch(() => null) : null;
    if (typeof answer?.token === "string") token = answer.token;
    else signInFailed = true;
  }
  if (location.search || location.hash) history.replaceState(null, "", "/");
  TOKEN = token;
}
/** fetch with the token header; the only way this page asks the server for data (and, with no token, it asks nothing). */
function api(path, init = {}) {
  if (!TOKEN) return Promise.reject(new Error("no token"));
  return fetch(path, { ...init, headers: { ...init.headers, "X-Loki-Token": TOKEN } });
}
const FRESH_LINK = "This dashboard needs a fresh link: run `loki dashboard` (each link opens one tab, once).";
const LINK_SPENT = "This link was used already: run `loki dashboard` again for a new one.";
/** No token (a reload, a new tab, a spent link) or one the server no longer takes: say what to do, show no panels. */
function signedOut(text) {
  es?.close();
  es = null;
  TOKEN = "";
  const err = $("error-banner");
  err.textContent = text;
  err.hidden = false;
  $("stale-banner").hidden = true;
  $("grid").hidden = true;
  setConn("no token", "bad");
  document.body.dataset.signedOut = "1";
}

// ---- state ----
let snap = null;
let lastId = 0;
let lastFrame = Date.now();
let lastEventTs = null;
let es = null;
const pending = { action: null, label: "", since: 0, want: null };
const seenAlerts = new Set();
let notifiedOutcome = false;

// ---- panels ----
/** Active time the run saved at its last boundary; while it is live, at least the time since its process started. */
function elapsedOf(s) {
  const run = s.run;
  if (!run || !has(run.elapsed_ms)) return null;
  const since = Date.now() - Date.parse(run.started_at ?? "");
  return LIVE.includes(s.status?.status) && !Number.isNaN(since) ? Math.max(run.elapsed_ms, since) : run.elapsed_ms;
}
function renderStatus(s) {
  const st = s.status ?? {};
  const run = s.run;
  const status = st.status ?? "unknown";
  const elapsed = elapsedOf(s);
  $("spec-title").textContent = run?.spec_title ?? st.spec ?? "";
  const statusChip = chip(pending.label || status, pending.label ? "warn pending" : tone(status));
  statusChip.id = "run-status";
  const sandbox = run?.sandboxed === true ? chip("sandboxed", "good") : run?.sandboxed === false ? chip("UNSANDBOXED", "bad") : unknown();
  fill(
    "p-status",
    h(
      "div",
      "strip",
      kv("run", run?.run_id ?? st.run_id ?? "unknown"),
      kv("status", statusChip),
      kv("phase", run?.phase ?? st.progress?.phase ?? "unknown"),
      kv("iteration", run ? `${run.iteration ?? "?"} / ${run.max_iterations ?? "?"}` : "unknown"),
      kv("provider / model", `${run?.provider ?? st.provider ?? "unknown"} · ${run?.model ?? st.progress?.model ?? "unknown"}`),
      kv("elapsed", h("span", "elapsed", dur(elapsed)), run?.max_duration_s ? ` of ${dur(run.max_duration_s * 1000)}` : ""),
      kv("sandbox", sandbox),
    ),
    st.reason ? h("p", "muted", st.reason) : null,
  );
}

function renderCost(c) {
  const banner = $("budget-banner");
  if (!c) {
    banner.hidden = true;
    return fill("p-cost", h("p", null, "Cost: ", unknown(), " (no cost ledger yet)"));
  }
  const pct = has(c.spent_usd) && c.limit_usd ? (100 * c.spent_usd) / c.limit_usd : null;
  banner.hidden = !(c.warn || c.exceeded);
  banner.className = `banner ${c.exceeded ? "banner-red" : "banner-amber"}`;
  banner.textContent = c.exceeded
    ? `Budget exceeded: ${usd(c.spent_usd)} of ${usd(c.limit_usd)} spent`
    : `Budget warning: ${usd(c.spent_usd)} of ${usd(c.limit_usd)} spent (${pct === null ? "unknown" : Math.round(pct)} %)`;
  const bar = h("div", `bar ${c.exceeded ? "bad" : c.warn ? "warn" : "good"}`);
  bar.style.width = `${Math.min(100, pct ?? 0)}%`;
  const perIt = (c.per_iteration ?? []).map((p) => h("li", null, `#${p.iteration} `, usdEl(p.usd)));
  const roles = c.per_role ?? {};
  fill(
    "p-cost",
    h("div", "big", usdEl(c.spent_usd), c.limit_usd ? [" of ", usdEl(c.limit_usd)] : h("span", "muted", " spent · no limit")),
    c.limit_usd ? h("div", "track", bar) : null,
    kv("exact / estimated", usdEl(c.exact_usd), " / ", usdEl(c.estimated_usd), has(c.calls) ? ` · ${c.calls} calls` : ""),
    kv("burn (last 30 min)", has(c.burn_usd_per_hour) ? `${usd(c.burn_usd_per_hour)}/h` : unknown()),
    kv("cap reached in", has(c.cap_in_s) ? `~${dur(c.cap_in_s * 1000)}` : unknown()),
    kv("build / review / judge", usdEl(roles.build), " / ", usdEl(roles.review), " / ", usdEl(roles.judge)),
    perIt.length ? h("ul", "inline", perIt) : null,
  );
}

function renderTimeline(rows) {
  if (!rows?.length) return fill("p-timeline", h("p", "muted", "no iteration has started yet"));
  const items = rows.map((it) => {
    const phases = (it.phases ?? []).map((p) => chip(`${p.phase} ${dur(p.ms)}`, "phase"));
    const g = it.gates ?? {};
    const gates = ["pass", "fail", "skip", "inconclusive"].filter((k) => g[k]).map((k) => chip(`${g[k]} ${k}`, tone(k)));
    const span = it.finished_at ? dur(Date.parse(it.finished_at) - Date.parse(it.started_at)) : "in progress";
    return h(
      "li",
      it.finished_at ? null : "live",
      h("strong", null, `#${it.iteration}`),
      ` ${clock(it.started_at)} · ${span} · `,
      usdEl(it.usd),
      it.checkpoint ? ` · ${String(it.checkpoint).slice(0, 8)}` : "",
      it.changed === false ? " · no change" : "",
      h("div", "chips", phases.length ? phases : h("span", "muted", "no phase finished yet"), gates),
    );
  });
  fill("p-timeline", h("ol", "timeline", items));
}

function renderChecklist(c) {
  if (!c) return fill("p-checklist", h("p", "muted", "checklist: unknown (not written yet)"));
  const item = (i) => h("li", null, chip(i.status ?? "unknown", tone(i.status)), " ", h("span", "mono", i.id ?? ""), " ", i.text ?? "");
  const done = c.items.filter((i) => /pass|done/.test(i.status ?? "")).length;
  fill(
    "p-checklist",
    h("p", null, `${done} of ${c.items.length} visible items passing`),
    h("ul", "items", c.items.map(item)),
    c.revealed
      ? [h("h3", null, "held-out (revealed)"), h("ul", "items", c.revealed.map(item))]
      : h("p", "sealed", `sealed: ${c.sealed ?? "unknown"} held-out item${c.sealed === 1 ? "" : "s"} (revealed when the run ends)`),
  );
}

/** The planner's task queue: counts, then the dead-lettered tasks first, the current one, pending and done.
 *  Titles and failures come from an agent and the checks: text nodes only (h()), like every other string. */
const SOURCE_NOTE = {
  planner: null,
  fallback: "the planner gave no usable plan: the checklist is worked as one task",
  checklist: "no planning pass: the checklist is worked as one task",
};
const TASK_TONE = { "dead-lettered": "bad", current: "warn", pending: "", done: "good" };
function renderTasks(q) {
  if (!q) return fill("p-tasks", h("p", "muted", "no task queue for this run"));
  const task = (state, t, ...rest) =>
    h("li", null, chip(state, TASK_TONE[state]), " ", h("span", "mono", t.id ?? ""), " ", t.title ?? "", ...rest);
  const cur = q.current;
  const counts = [
    `${q.done.length} done`,
    `${cur ? 1 : 0} current`,
    `${q.pending.length} pending`,
    `${q.dead_letter.length} dead-lettered`,
    q.replans ? `${q.replans} re-plan${q.replans === 1 ? "" : "s"}` : null,
  ];
  fill(
    "p-tasks",
    h("p", "task-counts", counts.filter(Boolean).join(" · ")),
    SOURCE_NOTE[q.source] ? h("p", "muted", SOURCE_NOTE[q.source]) : null,
    q.dead_letter.length
      ? h(
          "ul",
          "items dead-letter",
          q.dead_letter.map((t) =>
            task(
              "dead-lettered",
              t,
              h("span", "muted", ` after ${t.attempts} attempt${t.attempts === 1 ? "" : "s"}`),
              t.last_failure ? h("div", "bad task-failure", t.last_failure) : null,
            ),
          ),
        )
      : null,
    h(
      "ul",
      "items tasks",
      cur ? task("current", cur, cur.attempts ? h("span", "muted", ` attempt ${cur.attempts + 1}`) : null) : null,
      q.pending.map((t) => task("pending", t, t.deps?.length ? h("span", "muted", ` after ${t.deps.join(", ")}`) : null)),
      q.done.map((t) => task("done", t, t.items?.length ? h("span", "muted", ` (${t.items.join(", ")})`) : null)),
    ),
  );
}
function findingList(findings) {
  if (!findings?.length) return null;
  return h(
    "ul",
    "findings",
    findings.map((f) => h("li", null, chip(f.severity ?? "?", tone(f.severity)), " ", h("span", "mono", loc(f)), " ", f.message ?? "")),
  );
}

function renderGates(g) {
  if (!g?.results?.length) return fill("p-gates", h("p", "muted", "no gates run yet"));
  fill(
    "p-gates",
    h("p", "muted", `iteration ${g.iteration ?? "unknown"}`),
    h(
      "ul",
      "gates",
      g.results.map((r) =>
        h(
          "li",
          null,
          chip(r.status, tone(r.status)),
          " ",
          h("strong", null, r.gate),
          " ",
          h("span", "muted", r.reason ?? ""),
          findingList(r.findings),
        ),
      ),
    ),
  );
}

function renderCouncil(rounds) {
  if (!rounds?.length) return fill("p-council", h("p", "muted", "no council round yet"));
  const reviewer = (r, extra) =>
    h(
      "li",
      null,
      chip(r.verdict ?? "unknown", tone(r.verdict)),
      " ",
      h("strong", null, extra ?? r.role ?? "reviewer"),
      r.note ? ` (${r.note})` : "",
      findingList(r.findings),
    );
  fill(
    "p-council",
    rounds.map((c) =>
      h(
        "div",
        "round",
        h("h3", null, `round ${c.round}: `, chip(c.decision ?? "unknown", tone(c.decision))),
        h(
          "ul",
          "reviewers",
          (c.reviewers ?? []).map((r) => reviewer(r)),
          c.devils_advocate ? reviewer(c.devils_advocate, "devil's advocate") : null,
        ),
      ),
    ),
  );
}

function renderAlerts(alerts) {
  const list = alerts ?? [];
  document.title = `${list.length ? "(!) " : ""}loki dashboard`;
  const btn = $("notify-btn");
  btn.hidden = !("Notification" in window) || Notification.permission !== "default";
  if (!list.length) return fill("p-alerts", h("p", "muted", "nothing needs you"));
  fill(
    "p-alerts",
    h(
      "ul",
      "alerts",
      list.map((a) =>
        h(
          "li",
          `alert ${tone(a.kind === "paused" ? "" : "bad")}`,
          h("strong", null, a.kind),
          " ",
          a.message ?? "",
          " ",
          h("span", "muted", ago(a.since)),
        ),
      ),
    ),
  );
  for (const a of list) {
    const key = `${a.kind}|${a.since}`;
    if (seenAlerts.has(key)) continue;
    seenAlerts.add(key);
    notify(`loki: ${a.kind}`, a.message ?? "");
  }
}

function notify(title, text) {
  if ("Notification" in window && Notification.permission === "granted") new Notification(title, { body: text, tag: title });
}

function renderOutcome(o, st) {
  if (!o)
    return fill(
      "p-outcome",
      h("p", "muted", LIVE.includes(st?.status) ? "run in progress: no outcome yet" : `no outcome recorded (${st?.status ?? "unknown"})`),
    );
  const proof = o.proof ? h("button", "button", "open the proof") : null;
  if (proof) {
    proof.type = "button";
    proof.id = "btn-proof";
    proof.addEventListener("click", openProof);
  }
  const pr = /^https?:\/\//.test(o.pr_url ?? "") ? h("a", null, o.pr_url) : null;
  if (pr) {
    pr.href = o.pr_url;
    pr.rel = "noopener noreferrer";
  }
  fill(
    "p-outcome",
    h("div", "big", chip(o.outcome ?? "unknown", tone(o.outcome)), ` exit ${o.exit_code ?? "unknown"}`),
    h("p", null, o.reason ?? ""),
    kv("finished", o.finished_at ? `${o.finished_at.replace("T", " ").slice(0, 19)} (${ago(o.finished_at)})` : "unknown"),
    kv("next", h("code", null, o.next ?? "")),
    pr ? kv("pull request", pr) : null,
    proof ? h("p", null, proof, " ", h("span", "muted proof-msg")) : h("p", "muted", "no proof for this run"),
    o.proof ? h("div", "verify", h("span", "muted", "proof verify: checking…")) : null,
  );
  if (!notifiedOutcome) {
    notifiedOutcome = true;
    if (!LIVE.includes(st?.status)) notify(`loki: ${o.outcome}`, o.reason ?? "");
  }
  if (o.proof) loadVerify();
}

/** A one-use `/proof/<key>` for a new tab: the token goes in a header, never into an address the browser keeps. */
async function openProof() {
  const msg = body("p-outcome").querySelector(".proof-msg");
  const res = await api("/api/proof/key", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }).catch(
    () => null,
  );
  const answer = res?.ok ? await res.json().catch(() => null) : null;
  const url = typeof answer?.url === "string" && /^\/proof\/[\w-]{43}$/.test(answer.url) ? answer.url : null;
  if (msg) msg.textContent = url ? "" : `the proof did not open (${res ? res.status : "offline"})`;
  if (url) window.open(url, "_blank", "noopener,noreferrer");
}

async function loadVerify() {
  const res = await api("/api/proof/verify").catch(() => null);
  const box = body("p-outcome").querySelector(".verify");
  if (!box) return;
  if (!res?.ok) return box.replaceChildren(h("span", "muted", `proof verify: unknown (${res ? res.status : "offline"})`));
  const v = await res.json();
  box.replaceChildren(
    h("div", null, "proof verify: ", chip(v.status, tone(v.status))),
    h(
      "details",
      null,
      h("summary", "muted", `${(v.checks ?? []).length} checks`),
      h(
        "ul",
        "checks",
        (v.checks ?? []).map((c) =>
          h("li", null, chip(c.ok ? "ok" : "fail", c.ok ? "good" : "bad"), ` ${c.name} `, h("span", "muted", c.detail ?? "")),
        ),
      ),
    ),
  );
}

// ---- the Live App panel: the app the run built, served by `loki preview` on its own 127.0.0.1 port ----
const APP_TONE = { live: "good", starting: "warn", unhealthy: "warn", crashed: "bad", stopped: "" };
/** How long "restarting…" waits for state.json's started_at to move before saying it was not seen. */
const RESTART_WAIT_MS = 120_000;
/** shown: the user asked to see the app at `url`; the frame exists only while the app is live there. */
const appUi = { shown: false, url: null, frame: null, restartFrom: null, restartAt: 0 };

/**
 * The app's URL when this page may frame or open it, else null (then it is shown as text only). The server
 * checked it already (core/app-control.ts previewUrl); checked again here: http, 127.0.0.1 or localhost, an
 * explicit port, no credentials — and never this dashboard's own port, the one page allow-same-origin must
 * not be given.
 */
function frameable(url) {
  if (typeof url !== "string") return null;
  let u;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const local = u.protocol === "http:" && (u.hostname === "127.0.0.1" || u.hostname === "localhost");
  if (!local || !u.port || u.username || u.password || u.port === location.port) return null;
  return u.href;
}

function appFrame(url) {
  const frame = document.createElement("iframe");
  // The app is untrusted (the agent wrote it) and runs on another port, so it is another origin than this page.
  // allow-scripts, allow-forms: an app is scripts and forms. allow-same-origin gives the app its OWN origin
  // (127.0.0.1:<its port>), never this page's: without it the app runs in an opaque origin where its cookies,
  // storage and fetches to itself fail. It could reach into this page only if it were served from this page's
  // origin, which frameable() refuses. allow-popups: its links that open a tab; such a tab keeps this sandbox.
  // Not given: allow-top-navigation (it cannot navigate the dashboard away), allow-popups-to-escape-sandbox,
  // allow-modals, allow-downloads. The page's CSP frame-src keeps the frame on 127.0.0.1/localhost ports.
  frame.setAttribute("sandbox", "allow-scripts allow-forms allow-same-origin allow-popups");
  frame.setAttribute("referrerpolicy", "no-referrer");
  frame.title = "the app";
  frame.src = url;
  return frame;
}

function closeAppFrame() {
  appUi.frame?.remove();
  appUi.frame = null;
  $("app-frame").hidden = true;
}

function renderApp(view) {
  const state = view?.state ?? null;
  const url = frameable(state?.frame_url);
  const live = state?.status === "live" && url !== null;
  if (appUi.restartFrom !== null && (!state || state.started_at !== appUi.restartFrom)) appUi.restartFrom = null;
  if (appUi.restartFrom !== null && Date.now() - appUi.restartAt > RESTART_WAIT_MS) {
    appUi.restartFrom = null;
    $("app-msg").textContent = "restart: not seen yet (state.json's start time has not changed)";
  }
  const restarting = appUi.restartFrom !== null;
  fill("p-app", state ? appFacts(state, url, restarting) : noApp(view?.detection ?? null), appHealth(view?.health ?? []));

  // Another address (a restart on a new port) is another app: seen only after another click.
  if (url !== null && url !== appUi.url) appUi.shown = false;
  if (appUi.frame && (!live || url !== appUi.url)) closeAppFrame();
  if (appUi.shown && live && !appUi.frame) {
    appUi.frame = appFrame(url);
    $("app-frame").replaceChildren(appUi.frame);
    $("app-frame").hidden = false;
  }
  $("app-actions").hidden = !state;
  $("btn-app-show").disabled = !live || appUi.frame !== null;
  $("btn-app-refresh").disabled = appUi.frame === null;
  $("btn-app-restart").disabled = !state?.supervisor_alive || restarting;
  const open = $("app-open");
  open.hidden = url === null;
  if (url) open.href = url;
  else open.removeAttribute("href");
}

function noApp(detection) {
  const why =
    detection?.kind === "none"
      ? detection.reason
      : detection
        ? `detected ${detection.framework ?? detection.kind}: ${detection.reason} Not running; start it with: loki preview`
        : "no app runner for this run";
  return [h("p", null, chip("no app", ""), " ", h("span", "muted", why))];
}

function appFacts(state, url, restarting) {
  const status = restarting ? chip("restarting…", "warn pending") : chip(state.status, APP_TONE[state.status] ?? "");
  status.id = "app-status";
  const address = url
    ? h("span", "mono", url)
    : state.url
      ? h("span", null, h("span", "mono", state.url), h("span", "bad", " (not framed: not a local app address)"))
      : unknown();
  const since = state.live_at ? [`${clock(state.live_at)} (${ago(state.live_at)})`] : ["not live yet"];
  const out = [
    h(
      "div",
      "strip",
      kv("app", status),
      kv("url", address),
      kv("restarts", String(state.restarts)),
      kv(state.status === "live" ? "live since" : "last live", ...since),
      kv("runs", h("span", "mono", state.command), state.framework ? ` (${state.framework})` : ""),
      kv("sandbox", state.sandboxed ? chip("sandboxed", "good") : chip("UNSANDBOXED", "bad")),
    ),
  ];
  if (state.status !== "live" && state.detail)
    out.push(h("p", state.status === "crashed" ? "bad app-detail" : "muted app-detail", state.detail));
  if (state.status === "crashed" && state.log_tail?.length) {
    out.push(h("h3", null, "last lines of its log"));
    out.push(h("pre", "mono small app-log", state.log_tail.join("\n")));
  }
  return out;
}

function appHealth(records) {
  if (!records.length) return null;
  const rows = records
    .slice(-5)
    .reverse()
    .map((r) =>
      h(
        "li",
        null,
        `${clock(r.ts)} `,
        chip(r.status, APP_TONE[r.status] ?? ""),
        has(r.http) ? ` HTTP ${r.http}` : "",
        has(r.ms) ? ` ${dur(r.ms)}` : "",
        r.detail ? h("span", "muted", ` ${r.detail}`) : "",
      ),
    );
  return h(
    "details",
    null,
    h("summary", "muted", `health: ${records.length} change${records.length === 1 ? "" : "s"}`),
    h("ul", "health", rows),
  );
}

function renderControls(s) {
  const status = s.status?.status;
  const live = LIVE.includes(status);
  const paused = status === "paused" || s.status?.signals?.pause;
  $("btn-pause").disabled = !live || paused || pending.action === "pause";
  $("btn-resume").disabled = !live || !paused || pending.action === "resume";
  $("btn-stop").disabled = !live || pending.action === "stop";
  const sel = $("model-select");
  const models = s.models ?? [];
  if (sel.dataset.list !== models.join("\n")) {
    sel.dataset.list = models.join("\n");
    sel.replaceChildren(...models.map((m) => h("option", null, m)));
    if (models.includes(s.run?.model)) sel.value = s.run.model;
  }
  sel.disabled = $("btn-model").disabled = !live || models.length === 0;
  if (!models.length) sel.replaceChildren(h("option", null, "no model switch for this run"));
  const input = $("budget-input");
  input.placeholder = has(s.cost?.limit_usd) ? String(s.cost.limit_usd) : "unknown";
  input.disabled = $("btn-budget").disabled = !live;
}

// ---- pending control states: confirmed only by the engine's own events or status ----
function setPending(action, label, want) {
  Object.assign(pending, { action, label, since: Date.now() - 2000, want });
  if (snap) render(snap);
}
function confirmBy(ev) {
  if (!pending.action || !ev) return;
  if (Date.parse(ev.ts ?? "") < pending.since) return;
  if (pending.want?.(ev)) Object.assign(pending, { action: null, label: "", want: null });
}
function confirmBySnapshot(s) {
  if (!pending.action) return;
  for (const ev of s.events ?? []) confirmBy(ev);
  const st = s.status?.status;
  if (pending.action && !LIVE.includes(st)) Object.assign(pending, { action: null, label: "", want: null });
  if (pending.action === "resume" && st === "running" && !s.status?.signals?.pause) Object.assign(pending, { action: null, label: "" });
}

function render(s) {
  confirmBySnapshot(s);
  renderStatus(s);
  renderAlerts(s.alerts);
  renderCost(s.cost);
  renderOutcome(s.outcome, s.status);
  renderTimeline(s.timeline);
  renderChecklist(s.checklist);
  renderTasks(s.queue);
  renderGates(s.gates);
  renderCouncil(s.council);
  renderApp(s.app);
  renderControls(s);
  tickAges();
}

// ---- activity feed ----
const DESCRIBE = {
  run_started: (e) => [
    `run ${e.resumed ? "resumed" : "started"}: ${e.provider} · ${e.model} · ${e.spec}`,
    e.budget_usd ? ` · budget ${usd(e.budget_usd)}` : "",
  ],
  iteration_started: (e) => [`iteration ${e.iteration} started`],
  prompt_built: (e) => [
    `prompt built: ${e.items} items, ${e.bytes} bytes`,
    Array.isArray(e.memories) && e.memories.length ? ["; ", memoriesButton(e), h("span", "muted", ` ${e.memories.join(", ")}`)] : "",
  ],
  agent_started: (e) => [`agent call started: ${e.provider} · ${e.model}`],
  agent_finished: (e) => [
    `agent call ${e.ok ? "finished" : `failed (${e.error_class ?? `exit ${e.exit_code}`})`} in ${dur(e.duration_ms)}, ${usd(e.usd)} ${e.basis}`,
    e.claimed_done ? " · claims done" : "",
  ],
  checkpoint: (e) => [e.changed ? `checkpoint ${String(e.sha ?? "").slice(0, 8)}` : "checkpoint: no change"],
  gate_result: (e) => [`gate ${e.gate}: ${e.status}`, e.reason ? ` (${e.reason})` : ""],
  ship_gate: (e) => [`ship gate: ${e.verdict}`, e.reasons?.length ? `: ${e.reasons.join("; ")}` : ""],
  budget_warning: (e) => [`budget warning: ${usd(e.spent_usd)} of ${usd(e.limit_usd)}`],
  budget_exceeded: (e) => [`budget exceeded: ${usd(e.spent_usd)} of ${usd(e.limit_usd)}`],
  retry: (e) => [`retry ${e.attempt} on ${e.provider} (${e.error_class}) in ${dur(e.wait_ms)}`],
  provider_failover: (e) => [`failover ${e.from} → ${e.to}: ${e.reason}`],
  model_fallback: (e) => [`model fallback ${e.from} → ${e.to}: ${e.reason}`],
  paused: (e) => ["run paused at the boundary", e.by ? ` (${e.by})` : ""],
  resumed: () => ["run resumed"],
  stalled: (e) => [`stalled: no progress for ${e.count} iterations`],
  warning: (e) => [`warning: ${e.message}`],
  memory_learned: (e) => [`learned ${e.id} from the fix of: ${e.symptom}`, e.global ? " (kept for your other projects too)" : ""],
  project_detected: () => ["project detection changed"],
  run_finished: (e) => [`run finished: ${e.outcome} (exit ${e.exit_code}): ${e.reason}`],
  phase_finished: (e) => [`phase ${e.phase} finished in ${dur(e.ms)}`],
  model_switched: (e) => [`model switched ${e.from} → ${e.to} (by ${e.by})`],
  budget_raised: (e) => [`budget raised ${usd(e.from)} → ${usd(e.to)} (by ${e.by})`],
  stop_requested: (e) => [`stop requested (${e.mode}) by ${e.by}`],
};
const BAD = /^(budget_exceeded|run_finished|stalled)$/;
const WARN = /^(budget_warning|retry|warning|model_fallback|provider_failover|paused|stop_requested)$/;

function feedRow(e, id) {
  const describe = DESCRIBE[e.kind];
  // A description is text and, for a few kinds, a control (h() takes both: strings become text nodes).
  const parts = describe
    ? describe(e)
    : [`${e.kind}: ${JSON.stringify({ ...e, ts: undefined, run_id: undefined, kind: undefined }).slice(0, 300)}`];
  const bad = (BAD.test(e.kind) && e.outcome !== "verified") || e.ok === false || e.status === "fail" || e.verdict === "BLOCKED";
  const row = h(
    "div",
    `row ${bad ? "bad" : WARN.test(e.kind) ? "warn" : ""}`,
    h("span", "t", clock(e.ts)),
    h("span", "i", `#${e.iteration ?? "?"}`),
    h("span", "m", ...parts),
  );
  if (id) row.dataset.id = id;
  return row;
}

/** "memories given: N" on a prompt_built line: activated, the memories themselves, fetched and shown under the entry. */
function memoriesButton(e) {
  const btn = h("button", "small memories-btn", `memories given: ${e.memories.length}`);
  btn.type = "button";
  btn.setAttribute("aria-expanded", "false");
  btn.addEventListener("click", () => toggleMemories(btn, e.iteration));
  return btn;
}
async function toggleMemories(btn, iteration) {
  const entry = btn.parentElement;
  const shown = entry.querySelector(".memories");
  btn.setAttribute("aria-expanded", String(!shown));
  if (shown) return void shown.remove();
  const box = h("div", "memories", h("span", "muted", "memories: loading…"));
  box.setAttribute("aria-live", "polite");
  entry.append(box);
  const n = Number(iteration);
  if (!Number.isInteger(n) || n < 1) return void box.replaceChildren(h("span", "muted", "memories: unknown (no iteration number)"));
  const res = await api(`/api/iterations/${n}/memories`).catch(() => null);
  const answer = res ? await res.json().catch(() => null) : null;
  if (!res?.ok || !Array.isArray(answer?.memories)) {
    const why = typeof answer?.message === "string" ? answer.message : `could not load (${res ? res.status : "offline"})`;
    return void box.replaceChildren(h("span", res?.status === 404 ? "muted" : "bad", `memories: ${why}`));
  }
  if (!answer.memories.length) return void box.replaceChildren(h("span", "muted", "memories: none recorded for this iteration"));
  const item = (m) =>
    h(
      "li",
      null,
      chip(m.store ?? "unknown", ""),
      " ",
      chip(m.kind ?? "unknown", ""),
      " ",
      h("span", "mono", m.id ?? ""),
      h("div", "line", m.line ?? ""),
    );
  box.replaceChildren(h("ul", "memories-list", answer.memories.map(item)));
}

const feed = () => $("feed");
const nearBottom = (el) => el.scrollHeight - el.scrollTop - el.clientHeight < 40;
function appendFeed(events) {
  const el = feed();
  const follow = nearBottom(el);
  const frag = document.createDocumentFragment();
  for (const [e, id] of events) {
    frag.append(feedRow(e, id));
    lastEventTs = e.ts ?? lastEventTs;
  }
  el.append(frag);
  let extra = el.childElementCount - FEED_CAP;
  while (extra-- > 0) el.firstElementChild.remove();
  if (follow) el.scrollTop = el.scrollHeight;
  $("feed-follow").hidden = follow;
}

// ---- data flow: snapshot, SSE, watchdog ----
let refetchTimer = null;
let lastRefetch = 0;
let inflight = false;
let dirty = false;
function scheduleRefetch() {
  if (refetchTimer) return;
  refetchTimer = setTimeout(refetch, Math.max(0, lastRefetch + REFETCH_MS - Date.now()));
}
async function refetch() {
  refetchTimer = null;
  if (inflight) return void (dirty = true);
  inflight = true;
  lastRefetch = Date.now();
  try {
    const s = await getSnapshot();
    if (s) {
      snap = s;
      render(s);
      refreshDiff();
    }
  } finally {
    inflight = false;
    if (dirty) {
      dirty = false;
      scheduleRefetch();
    }
  }
}
async function getSnapshot() {
  if (!TOKEN) return null;
  const res = await api("/api/snapshot").catch(() => null);
  const err = $("error-banner");
  if (res?.status === 401) return void signedOut(FRESH_LINK);
  if (!res?.ok) {
    err.hidden = false;
    err.textContent = `Snapshot failed (${res ? res.status : "offline"})`;
    return null;
  }
  err.hidden = true;
  return res.json();
}

function setConn(text, kind) {
  const c = $("conn");
  c.textContent = text;
  c.className = `chip ${kind}`;
}
function frame() {
  lastFrame = Date.now();
  if (!$("stale-banner").hidden) {
    $("stale-banner").hidden = true;
    scheduleRefetch();
  }
  setConn("live", "good");
}
function connect(from) {
  es?.close();
  if (!TOKEN) return;
  es = new EventSource(`/events?from=${from}&t=${encodeURIComponent(TOKEN)}`);
  es.onopen = frame;
  es.onerror = () => setConn(es.readyState === EventSource.CLOSED ? "disconnected" : "reconnecting…", "bad");
  es.addEventListener("ev", (m) => {
    frame();
    lastId = Number(m.lastEventId) || lastId;
    let e;
    try {
      e = JSON.parse(m.data);
    } catch {
      return;
    }
    appendFeed([[e, m.lastEventId]]);
    confirmBy(e);
    if (e.kind !== "prompt_built") scheduleRefetch();
  });
  es.addEventListener("state", (m) => {
    frame();
    if (/"events"/.test(m.data)) return void restart();
    scheduleRefetch();
  });
  es.addEventListener("hb", frame);
}
setInterval(() => {
  if (!TOKEN || Date.now() - lastFrame < STALE_MS) return;
  $("stale-banner").hidden = false;
  setConn("stale", "bad");
  lastFrame = Date.now();
  connect(lastId);
}, 1000);

// ---- diff ----
let diffAt = 0;
let diffTimer = null;
const openDiffs = new Set();
async function refreshDiff() {
  if (diffTimer) return;
  diffTimer = setTimeout(
    async () => {
      diffTimer = null;
      diffAt = Date.now();
      const res = await api("/api/diff").catch(() => null);
      if (!res?.ok) return fill("p-diff", h("p", "muted", `diff: unknown (${res ? res.status : "offline"})`));
      renderDiff(await res.json());
    },
    Math.max(0, diffAt + 2000 - Date.now()),
  );
}
function renderDiff(d) {
  if (!d.files?.length) return fill("p-diff", h("p", "muted", `no changes since ${String(d.start_sha ?? "the start").slice(0, 8)}`));
  const rows = d.files.map((f) => {
    const btn = h(
      "button",
      "file",
      h("span", "mono", f.path),
      " ",
      f.binary || !has(f.added)
        ? chip(f.binary ? "binary" : "unknown", "")
        : [h("span", "add", `+${f.added}`), " ", h("span", "del", `−${f.deleted}`)],
    );
    btn.type = "button";
    const li = h("li", null, btn);
    const show = () => loadHunk(li, f);
    btn.addEventListener("click", () => {
      const pre = li.querySelector("pre");
      if (pre) {
        pre.remove();
        openDiffs.delete(f.path);
      } else show();
    });
    if (openDiffs.has(f.path)) show();
    return li;
  });
  fill("p-diff", h("p", "muted", `${d.files.length} files since ${String(d.start_sha ?? "").slice(0, 8)}`), h("ul", "diff", rows));
}
async function loadHunk(li, f) {
  openDiffs.add(f.path);
  const res = await api(`/api/diff/${f.index}`).catch(() => null);
  let d = res?.ok ? await res.json() : { text: `could not load (${res ? res.status : "offline"})`, truncated: false };
  // A checkpoint since the list was drawn can move the files: a hunk is shown only under its own name.
  if (res?.ok && d.path !== f.path) {
    d = { text: "the change moved on since this list was drawn: the list is being refreshed, open the file again", truncated: false };
    void refreshDiff();
  }
  const pre = h("pre", "hunk");
  for (const line of String(d.text ?? "").split("\n"))
    pre.append(h("span", line[0] === "+" ? "add" : line[0] === "-" ? "del" : line.startsWith("@@") ? "hh" : null, `${line}\n`));
  if (d.truncated) pre.append(h("span", "muted", "… truncated at 256 KB"));
  li.querySelector("pre")?.remove();
  li.append(pre);
}

// ---- ages ----
function tickAges() {
  for (const p of document.querySelectorAll(".panel[data-age]")) {
    const iso = snap?.ages?.[p.dataset.age];
    p.querySelector(".age").textContent = `updated ${iso ? ago(iso) : "unknown"}`;
  }
  $("p-feed").querySelector(".age").textContent = lastEventTs ? `last event ${ago(lastEventTs)}` : "no events yet";
  $("p-tasks").querySelector(".age").textContent = snap?.queue ? `updated ${ago(snap.queue.updated_at)}` : "";
  $("p-diff").querySelector(".age").textContent = diffAt ? `fetched ${ago(new Date(diffAt).toISOString())}` : "";
  const el = document.querySelector("#p-status .elapsed");
  if (el && snap) el.textContent = dur(elapsedOf(snap));
}
setInterval(tickAges, 1000);

// ---- controls ----
async function post(action, payload) {
  const msg = $("control-msg");
  msg.textContent = `${action}: sending…`;
  const res = await api(`/api/control/${action}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
  }).catch(() => null);
  const answer = res ? await res.json().catch(() => ({ ok: false, message: `HTTP ${res.status}` })) : { ok: false, message: "offline" };
  msg.textContent = `${action}: ${answer.message ?? (answer.ok ? "ok" : "refused")}`;
  msg.className = answer.ok ? "muted" : "bad";
  return answer.ok === true;
}
async function control(action, payload, label, want) {
  if (!(await post(action, payload))) return;
  if (label) setPending(action, label, want);
  scheduleRefetch();
}
$("btn-pause").addEventListener("click", () => control("pause", {}, "pausing…", (e) => e.kind === "paused"));
$("btn-resume").addEventListener("click", () => control("resume", {}, "resuming…", (e) => e.kind === "resumed"));
$("btn-stop").addEventListener("click", () => ($("stop-confirm").hidden = false));
$("btn-stop-cancel").addEventListener("click", () => ($("stop-confirm").hidden = true));
for (const mode of ["iteration", "now"])
  $(`btn-stop-${mode}`).addEventListener("click", () => {
    $("stop-confirm").hidden = true;
    control("stop", { mode }, "stopping…", (e) => e.kind === "run_finished");
  });
$("btn-model").addEventListener("click", () => {
  const model = $("model-select").value;
  control("model", { model }, null);
});
$("btn-budget").addEventListener("click", () => {
  const limit = Number($("budget-input").value);
  if (!Number.isFinite(limit) || limit <= 0) return void ($("control-msg").textContent = "budget: enter a positive number of dollars");
  control("budget", { limit_usd: limit }, null);
});
$("btn-app-show").addEventListener("click", () => {
  const url = frameable(snap?.app?.state?.frame_url);
  if (snap?.app?.state?.status !== "live" || !url) return;
  Object.assign(appUi, { shown: true, url });
  renderApp(snap.app);
});
$("btn-app-refresh").addEventListener("click", () => {
  // Setting src again navigates the frame afresh (a cross-origin frame's own reload() is not ours to call).
  if (appUi.frame) appUi.frame.src = appUi.url;
});
$("btn-app-restart").addEventListener("click", async () => {
  const msg = $("app-msg");
  msg.textContent = "restart: sending…";
  const res = await api("/api/app/restart", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }).catch(
    () => null,
  );
  const answer = res ? await res.json().catch(() => ({ ok: false, message: `HTTP ${res.status}` })) : { ok: false, message: "offline" };
  msg.textContent = `restart: ${answer.message ?? (answer.ok ? "requested" : "refused")}`;
  msg.className = answer.ok ? "muted" : "bad";
  if (res?.status === 202)
    Object.assign(appUi, { restartFrom: answer.started_at ?? snap?.app?.state?.started_at ?? "", restartAt: Date.now() });
  if (snap) renderApp(snap.app);
  scheduleRefetch();
});
$("notify-btn").addEventListener("click", async () => {
  await Notification.requestPermission();
  $("notify-btn").hidden = Notification.permission !== "default";
});
$("feed-follow").addEventListener("click", () => {
  const el = feed();
  el.scrollTop = el.scrollHeight;
  $("feed-follow").hidden = true;
});
feed().addEventListener("scroll", () => ($("feed-follow").hidden = nearBottom(feed())));

// ---- start (and again when events.jsonl was replaced: the feed starts over from a new snapshot) ----
async function restart() {
  es?.close();
  if (!TOKEN) return void signedOut(signInFailed ? LINK_SPENT : FRESH_LINK);
  const s = await getSnapshot();
  if (!TOKEN) return;
  if (!s) return void setTimeout(restart, 2000);
  snap = s;
  lastId = s.offset ?? 0;
  feed().replaceChildren();
  appendFeed((s.events ?? []).map((e) => [e, null]));
  render(s);
  refreshDiff();
  connect(lastId);
  document.body.dataset.ready = "1";
}
signIn().then(restart);
