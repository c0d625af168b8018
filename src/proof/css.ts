// The proof page's only stylesheet, inlined into index.html: system fonts, light and dark via
// prefers-color-scheme, and a layout that reads at 390 px without sideways scrolling. No URLs.

export const PROOF_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f7f7f5; --fg: #1c1d1f; --muted: #5d6168; --card: #ffffff; --line: #dcdde0; --code: #f0f1f3;
  --ok: #16703a; --ok-bg: #e3f4e8; --gap: #8a5a00; --gap-bg: #fdf1d6; --bad: #a3201c; --bad-bg: #fbe3e1;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #15161a; --fg: #e7e8ea; --muted: #a2a6ad; --card: #1d1f24; --line: #33363d; --code: #262930;
    --ok: #6fd38f; --ok-bg: #15301f; --gap: #f0c060; --gap-bg: #342913; --bad: #ff8a80; --bad-bg: #3a1716;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  overflow-wrap: break-word;
}
main { max-width: 960px; margin: 0 auto; padding: 16px 12px 48px; }
h1, h2, h3 { line-height: 1.2; margin: 0 0 8px; }
h1 { font-size: 1.9rem; letter-spacing: .02em; }
h2 { font-size: 1.2rem; }
h3 { font-size: 1rem; margin-top: 12px; }
p { margin: 6px 0; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: .88rem; }
code { background: var(--code); padding: 1px 4px; border-radius: 4px; overflow-wrap: anywhere; }
pre { background: var(--code); padding: 10px; border-radius: 6px; margin: 8px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.diff { white-space: pre; overflow-x: auto; max-height: 70vh; }
.banner { border-radius: 10px; padding: 16px; margin-bottom: 16px; border: 2px solid; }
.banner .kicker { text-transform: uppercase; font-size: .75rem; letter-spacing: .08em; margin: 0 0 4px; color: var(--muted); }
.banner ul { margin: 8px 0 0; padding-left: 20px; }
.v-ok { background: var(--ok-bg); border-color: var(--ok); }
.v-ok h1 { color: var(--ok); }
.v-gap { background: var(--gap-bg); border-color: var(--gap); }
.v-gap h1 { color: var(--gap); }
.v-bad { background: var(--bad-bg); border-color: var(--bad); }
.v-bad h1 { color: var(--bad); }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px; margin: 12px 0; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px 16px; margin: 0; }
dl.facts div { min-width: 0; }
dt { font-size: .75rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
dd { margin: 0; font-weight: 600; }
table { width: 100%; border-collapse: collapse; font-size: .92rem; }
th, td { text-align: left; padding: 6px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { overflow-wrap: normal; font-size: .75rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
.badge { display: inline-block; padding: 0 8px; border-radius: 999px; font-size: .8rem; font-weight: 700; white-space: nowrap; }
.s-ok { background: var(--ok-bg); color: var(--ok); }
.s-gap { background: var(--gap-bg); color: var(--gap); }
.s-bad { background: var(--bad-bg); color: var(--bad); }
.muted { color: var(--muted); }
.cmd { font-size: .95rem; user-select: all; -webkit-user-select: all; border: 1px dashed var(--line); }
.cmd code { font-size: inherit; background: none; padding: 0; }
details { margin: 8px 0; }
summary { cursor: pointer; font-weight: 600; }
ul.items { padding-left: 18px; margin: 6px 0; }
ul.items li { margin: 4px 0; }
footer { color: var(--muted); font-size: .85rem; text-align: center; margin-top: 24px; }
@media (max-width: 520px) {
  h1 { font-size: 1.5rem; }
  section { padding: 10px; }
  th, td { padding: 5px 3px; }
  table { font-size: .85rem; }
  .cmd { font-size: .8rem; }
}
@media print { section, .banner { break-inside: avoid; } pre.diff { max-height: none; white-space: pre-wrap; } }
`;
