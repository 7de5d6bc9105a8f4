import { appendFileSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { processStartTime } from './proc.js';

/**
 * What a test scope created, written down BEFORE each object is created, so a
 * run that crashed (kill -9, jest timeout) leaves a record that the next run
 * uses to clean up. One file per scope, named after its owner process
 * (`<pid>-<starttime>-<scope>.jsonl`); a file whose owner is gone is stale.
 * Objects of live runs (another engineer's tests running right now) are never
 * touched, whatever their names.
 */

export type LedgerEntry =
  | { readonly kind: 'netns'; readonly name: string }
  | { readonly kind: 'link'; readonly name: string; readonly netns?: string }
  /** every loop device backed by this file */
  | { readonly kind: 'loop'; readonly file: string }
  /** a VG and the PVs under it, each PV with the image file that must back it */
  | { readonly kind: 'vg'; readonly name: string; readonly pvs: readonly { readonly dev: string; readonly file?: string }[] }
  | { readonly kind: 'mount'; readonly mnt: string }
  /** a process, and its group when it leads one */
  | { readonly kind: 'pid'; readonly pid: number; readonly start: string; readonly group: boolean }
  /** a temp dir: removed after unmounting and detaching whatever lies below it */
  | { readonly kind: 'dir'; readonly path: string };

export const LEDGER_DIR = process.env.HASVCT_LEDGER_DIR ?? '/run/hasvct';

export class Ledger {
  readonly file: string;
  private constructor(file: string) {
    this.file = file;
  }

  static create(scopeId: string): Ledger {
    mkdirSync(LEDGER_DIR, { recursive: true, mode: 0o700 });
    const start = processStartTime(process.pid) ?? '0';
    return new Ledger(path.join(LEDGER_DIR, `${process.pid}-${start}-${scopeId}.jsonl`));
  }

  /** synchronous on purpose: the record is on disk before the object exists */
  append(e: LedgerEntry): void {
    appendFileSync(this.file, `${JSON.stringify(e)}\n`, { mode: 0o600 });
  }

  remove(): void {
    try {
      unlinkSync(this.file);
    } catch {
      // never written (empty scope)
    }
  }
}

export interface StaleLedger {
  readonly file: string;
  readonly entries: LedgerEntry[];
}

/** Ledgers whose owner process is gone. */
export function staleLedgers(): StaleLedger[] {
  let names: string[];
  try {
    names = readdirSync(LEDGER_DIR);
  } catch {
    return [];
  }
  const out: StaleLedger[] = [];
  for (const name of names) {
    const m = /^(\d+)-(\d+)-[A-Za-z0-9]+\.jsonl$/.exec(name);
    if (!m || m[1] === undefined) continue;
    if (processStartTime(Number(m[1])) === m[2]) continue; // owner alive
    const file = path.join(LEDGER_DIR, name);
    const entries: LedgerEntry[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        entries.push(JSON.parse(line) as LedgerEntry);
      } catch {
        // a line cut by the crash: the object it announced was never created
      }
    }
    out.push({ file, entries });
  }
  return out;
}
