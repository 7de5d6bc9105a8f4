import fs from 'node:fs';
import path from 'node:path';
import { validateEvent } from '../../domain/events.js';
import type { AnyEvent } from '../../domain/events.js';

export interface SpoolProblem {
  readonly line: number;
  readonly reason: string;
  /** the line as it is in the file, to keep aside */
  readonly text: string;
}

/** Where a drain keeps what it does not append, beside the spool. */
export type AsideKind = 'other-cluster' | 'unreadable';

/**
 * The local append-only spool: events that could not reach NATS, one JSON
 * document per line, fsync'd before append returns. Drained in order into the
 * stream when NATS is back. Callers hold the node's writer lock.
 */
export class Spool {
  constructor(readonly file: string) {}

  append(e: AnyEvent): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const fd = fs.openSync(this.file, 'a', 0o600);
    try {
      fs.writeSync(fd, `${JSON.stringify(e)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  isEmpty(): boolean {
    try {
      return fs.statSync(this.file).size === 0;
    } catch {
      return true;
    }
  }

  /**
   * Every valid event in file order. A torn last line (crash mid-write) and
   * invalid lines are reported, never fatal.
   */
  read(onProblem?: (p: SpoolProblem) => void): AnyEvent[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') onProblem?.({ line: 0, reason: `cannot be read: ${(e as Error).message}`, text: '' });
      return [];
    }
    const out: AnyEvent[] = [];
    const lines = text.split('\n');
    lines.forEach((l, i) => {
      if (l.trim() === '') return;
      let raw: unknown;
      try {
        raw = JSON.parse(l);
      } catch {
        onProblem?.({ line: i + 1, reason: i === lines.length - 1 ? 'torn last line (not valid JSON)' : 'not valid JSON', text: l });
        return;
      }
      const v = validateEvent(raw);
      if (v.ok) out.push(v.event);
      else onProblem?.({ line: i + 1, reason: v.reason, text: l });
    });
    return out;
  }

  asideFile(kind: AsideKind): string {
    return path.join(path.dirname(this.file), `events.${kind}.jsonl`);
  }

  /**
   * Append lines to the aside file of that kind, fsync'd, each once: a drain
   * interrupted before the spool was cleared writes the same lines again.
   */
  keepAside(kind: AsideKind, lines: readonly string[]): void {
    const file = this.asideFile(kind);
    let have = new Set<string>();
    try {
      have = new Set(fs.readFileSync(file, 'utf8').split('\n'));
    } catch {
      /* none kept yet */
    }
    const todo = lines.filter((l) => !have.has(l));
    if (todo.length === 0) return;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const fd = fs.openSync(file, 'a', 0o600);
    try {
      fs.writeSync(fd, todo.map((l) => `${l}\n`).join(''));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** After a drain: what was appended to the stream leaves the spool. */
  clear(): void {
    try {
      fs.truncateSync(this.file, 0);
    } catch {
      /* nothing spooled */
    }
  }
}
