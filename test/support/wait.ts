import { setTimeout as sleep } from 'node:timers/promises';

/** Poll until `probe` returns true; throws with `what` after timeoutMs. */
export async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 5000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
