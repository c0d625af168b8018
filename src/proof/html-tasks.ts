// The proof page's "Tasks" section: the planner's task queue as the run ended, the dead-lettered tasks
// first and marked as such, then the current, pending and done ones. Titles and failures came from an
// agent and the checks: escaped like every payload string. Pure; "" when the proof has no queue.
import type { Proof } from "../core/proof-schema.ts";
import { esc } from "./html-escape.ts";

const SOURCE: Record<NonNullable<Proof["queue"]>["source"], string> = {
  planner: "Planned by the planner.",
  fallback: "The planner gave no usable plan: the checklist was worked as one task.",
  checklist: "No planning pass: the checklist was worked as one task.",
};

const badge = (tone: "s-ok" | "s-gap" | "s-bad", text: string) => `<span class="badge ${tone}">${esc(text)}</span>`;
const plural = (n: number, one: string, many = `${one}s`) => `${esc(n)} ${n === 1 ? one : many}`;
const ids = (list: readonly string[]) => list.map((id) => `<code>${esc(id)}</code>`).join(", ");
const task = (t: { id: string; title: string }) => `<code>${esc(t.id)}</code> ${esc(t.title)}`;

export function tasksSection(p: Proof): string {
  const q = p.queue;
  if (!q) return "";
  const counts = [
    plural(q.done.length, "done", "done"),
    q.current ? "1 current" : "none current",
    plural(q.pending.length, "pending", "pending"),
    plural(q.dead_letter.length, "dead-lettered", "dead-lettered"),
    ...(q.replans > 0 ? [plural(q.replans, "re-plan")] : []),
  ].join(" · ");
  const head = `<p><strong>${counts}</strong></p><p class="muted">${esc(SOURCE[q.source])}</p>`;
  const dead = q.dead_letter.length
    ? `<h3>${badge("s-bad", "dead-lettered")} ${plural(q.dead_letter.length, "task")} given up on</h3><ul class="items">${q.dead_letter
        .map(
          (t) =>
            `<li>${task(t)} <span class="muted">after ${plural(t.attempts, "attempt")}</span>${t.last_failure === null ? "" : `<br><span class="muted">last failure:</span> ${esc(t.last_failure)}`}</li>`,
        )
        .join("")}</ul>`
    : "";
  const rows = [
    ...(q.current
      ? [
          `<li>${badge("s-gap", "current")} ${task(q.current)}${q.current.attempts ? ` <span class="muted">after ${plural(q.current.attempts, "failed attempt")}</span>` : ""}</li>`,
        ]
      : []),
    ...q.pending.map(
      (t) => `<li>${badge("s-gap", "pending")} ${task(t)}${t.deps.length ? ` <span class="muted">after ${ids(t.deps)}</span>` : ""}</li>`,
    ),
    ...q.done.map(
      (t) => `<li>${badge("s-ok", "done")} ${task(t)}${t.items.length ? ` <span class="muted">items ${ids(t.items)}</span>` : ""}</li>`,
    ),
  ];
  return `<section id="tasks"><h2>Tasks</h2>${head}${dead}${rows.length ? `<ul class="items">${rows.join("")}</ul>` : ""}</section>`;
}
