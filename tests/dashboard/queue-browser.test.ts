// The Tasks panel in Debian's Chromium, over a hand-written run: counts and titles of the done, current,
// pending and dead-lettered tasks; a planner's title that is markup shows as text and never runs; a
// move in .loki/queue/ reaches the open page through the stream, without a reload.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { emptyQueue, saveQueue, writeNewQueue } from "../../src/core/queue.ts";
import type { QueuePlan, Task } from "../../src/core/queue-schema.ts";
import { workspaceAt } from "../../src/core/workspace.ts";
import { launchChromium, live, SKIP, text, waitText } from "../helpers/chromium.ts";
import { startHarness } from "./harness.ts";
import { testPlan, testTask } from "../helpers/queue.ts";

const XSS = "<img src=x onerror=alert(1)>";
const XSS_FAILURE = '<script>window.__x=1</script><img src=x onerror="window.__x=2">';

let browser: Browser | undefined;
beforeAll(async () => {
  if (!SKIP) browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

function task(id: string, title: string, over: Partial<Task> = {}): Task {
  return { id, title, items: [], deps: [], size: "S", role: "backend", origin: "plan", attempts: 0, failures: [], ...over };
}

const PLAN = testPlan("r-test", { escalate_after: 2, dead_letter_after: 3 });

live("the Tasks panel", () => {
  test("lists the queue with counts, shows untrusted titles as text, and follows a move live", async () => {
    if (!browser) throw new Error("Chromium did not start");
    await using h = await startHarness({ heartbeatMs: 1000 });
    const ws = workspaceAt(h.root);
    const tasks = [
      task("t1", "Set up the schema", { items: ["i-1"] }),
      task("t2", XSS, { deps: ["t1"] }),
      task("t3", "Add the UI"),
      task("t4", "Pay"),
    ];
    const [t1, t2, t3, t4] = tasks as [Task, Task, Task, Task];
    writeNewQueue(ws, PLAN, tasks);
    const before = { ...emptyQueue(), pending: tasks };
    const worked = {
      pending: [t3],
      current: [{ ...t2, attempts: 1 }],
      done: [t1],
      "dead-letter": [{ ...t4, attempts: 3, failures: [XSS_FAILURE] }],
    };
    saveQueue(ws, "r-test", before, worked);

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    let dialogs = 0;
    page.on("dialog", (d) => {
      dialogs++;
      void d.dismiss();
    });
    try {
      await page.goto(h.dash.launchUrl);
      await page.waitForSelector("body[data-ready]");
      await waitText(page, "#p-tasks", /1 done · 1 current · 1 pending · 1 dead-lettered/);
      const panel = await text(page, "#p-tasks");
      expect(panel).toContain(XSS);
      expect(panel).toContain("Set up the schema");
      expect(panel).toContain("attempt 2");
      expect(panel).toContain(XSS_FAILURE);
      expect(await page.locator("#p-tasks img, #p-tasks script").count()).toBe(0);
      expect(await page.locator("#p-tasks .dead-letter li").count()).toBe(1);
      expect(await text(page, "#p-tasks .dead-letter")).toContain("t4");
      expect(await text(page, "#p-tasks .age")).toMatch(/^updated \d+ (s|min) ago$/);

      // The current task is done and the next begins: the open page follows without a reload.
      saveQueue(ws, "r-test", worked, { ...worked, pending: [], current: [t3], done: [t1, t2] });
      await waitText(page, "#p-tasks", /2 done · 1 current · 0 pending · 1 dead-lettered/, 10_000);
      expect(await page.evaluate("typeof window.__x")).toBe("undefined");
      expect(dialogs).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
