import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { Ledger, staleLedgers, type LedgerEntry } from './ledger.js';
import { PREFIX, teardown } from './teardown.js';

interface Undo {
  readonly what: string;
  readonly fn: () => Promise<void>;
}

let sweeping: Promise<void> | undefined;

/**
 * Clean up after runs that died before their own cleanup: objects listed in
 * the ledgers of processes that no longer exist, newest first. Runs once per
 * test file (TestScope.open calls it); safe while other runs are live.
 */
export function sweepStale(): Promise<void> {
  sweeping ??= sweepStaleNow();
  return sweeping;
}

/** sweepStale without the once-per-file memo. */
export async function sweepStaleNow(): Promise<void> {
  for (const stale of staleLedgers()) {
    const problems: string[] = [];
    for (const e of [...stale.entries].reverse()) {
      try {
        await teardown(e);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    if (problems.length === 0) unlinkSync(stale.file);
    else console.warn(`stale test objects of ${stale.file} not all removed:\n  ${problems.join('\n  ')}`);
  }
}

/**
 * Everything one test (or one test file) creates on the machine, undone in
 * reverse order by close(). Helpers call track() before creating an object,
 * so a crash between the two still leaves a ledger line for sweepStale().
 *
 *   const scope = await TestScope.open();
 *   try { const ns = await createNetns(scope); ... } finally { await scope.close(); }
 *
 * or, in jest, `const scope = useTestScope()` (test/support/jest.ts).
 */
export class TestScope {
  /** 5 hex chars: `hasvct-<id><suffix>` still fits an interface name with its `:N` label */
  readonly id: string;
  private readonly ledger: Ledger;
  private readonly undo: Undo[] = [];
  private counter = 0;
  private closed = false;

  private constructor(id: string) {
    this.id = id;
    this.ledger = Ledger.create(id);
  }

  static async open(): Promise<TestScope> {
    await sweepStale();
    return new TestScope(randomBytes(3).toString('hex').slice(0, 5));
  }

  /** Where this scope's ledger is written (kept after a failed close(), for the next sweep). */
  get ledgerFile(): string {
    return this.ledger.file;
  }

  /** A unique name: `hasvct-<id><suffix>`, or `hasvct-<id><n>` when no suffix is given. */
  name(suffix?: string): string {
    return `${PREFIX}${this.id}${suffix ?? String(this.counter++)}`;
  }

  /** Record a kernel object about to be created; close() (or a later sweep) removes it. */
  track(e: LedgerEntry): void {
    this.assertOpen();
    this.ledger.append(e);
    this.undo.push({ what: JSON.stringify(e), fn: () => teardown(e) });
  }

  /** An in-process cleanup step (nothing to sweep after a crash). */
  defer(what: string, fn: () => Promise<void> | void): void {
    this.assertOpen();
    this.undo.push({ what, fn: async () => fn() });
  }

  /** Undo everything, newest first; every step runs even if one fails. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const problems: string[] = [];
    for (const u of this.undo.reverse()) {
      try {
        await u.fn();
      } catch (err) {
        problems.push(`${u.what}: ${(err as Error).message}`);
      }
    }
    if (problems.length > 0) throw new Error(`test cleanup left things behind (ledger kept: ${this.ledger.file}):\n  ${problems.join('\n  ')}`);
    this.ledger.remove();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('TestScope used after close()');
  }
}
