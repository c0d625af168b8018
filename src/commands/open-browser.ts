// Opening a page in the user's browser, for `loki dashboard`, the dashboard `loki start` opens and
// `loki proof open`: $BROWSER when set (the convention xdg-open follows too), else the platform's opener.
// A machine with no browser is no error: the caller has printed the address, and `say` tells why.
import { basename } from "node:path";
import { whichBinary } from "../core/exec.ts";

const OPENER_WAIT_MS = 1000;

export type Say = { info: (line: string) => void; warn: (line: string) => void };

/**
 * Started detached (as run/background.ts starts a --bg child) rather than through core/exec: a browser
 * the opener launches keeps running after loki — exec would wait for it and end its group — and the
 * address is no line of loki's log. `what` names the address in the messages ("link", "file").
 */
export async function openInBrowser(target: string, say: Say, what: "link" | "file"): Promise<void> {
  const opener = process.env.BROWSER || whichBinary(process.platform === "darwin" ? "open" : "xdg-open");
  const yourself = `open the ${what} above yourself`;
  if (!opener) {
    say.info(`no browser opener (xdg-open) found: ${yourself}`);
    return;
  }
  let child: ReturnType<typeof Bun.spawn>;
  try {
    // env given: Bun.spawn without one hands over the environment loki started with, not process.env now.
    child = Bun.spawn([opener, target], { env: { ...process.env }, stdin: "ignore", stdout: "ignore", stderr: "ignore", detached: true });
  } catch (error) {
    say.warn(`${basename(opener)} could not start (${error instanceof Error ? error.message : String(error)}); ${yourself}`);
    return;
  }
  child.unref();
  // An opener that fails says so at once; one still running after a second is opening the browser.
  const code = await Promise.race([child.exited, Bun.sleep(OPENER_WAIT_MS).then(() => null)]);
  if (code !== null && code !== 0) say.warn(`${basename(opener)} opened no browser (exit ${code}); ${yourself}`);
}
