import type { AnyEvent } from '../domain/events.js';
import type { Applied } from './instances.js';

/** One line of `print history`: what happened, where, why, with what result. */
export interface HistoryEntry {
  readonly streamSeq: number;
  readonly time: string;
  readonly node: string;
  readonly svc: string;
  readonly what: string;
  readonly result: string;
  /** the event id of this entry, and of what caused it */
  readonly id: string;
  readonly causation: string | undefined;
  /** for an action: who ran it and the command line */
  readonly by: string | undefined;
}

interface OpenAction {
  readonly by: string | undefined;
  readonly argv: readonly string[];
}

/**
 * The history read model. Entries are append-only: a model version shares
 * its backing arrays with the versions before it and only reads up to its own
 * length, so reducing a long log stays linear (copying per event made a
 * million-event rebuild quadratic). To callers it is an immutable value.
 */
export interface HistoryModel {
  readonly lastSeq: number;
  readonly logs: Readonly<Record<string, { readonly items: HistoryEntry[]; readonly length: number }>>;
  /** actions started and not finished yet, by ActionStarted id */
  readonly open: ReadonlyMap<string, OpenAction>;
}

export const emptyHistory: HistoryModel = { lastSeq: 0, logs: {}, open: new Map() };

/** A service's entries, oldest first. */
export function historyOf(m: HistoryModel, svc: string): readonly HistoryEntry[] {
  const log = m.logs[svc];
  if (!log) return [];
  return log.items.length === log.length ? log.items : log.items.slice(0, log.length);
}

function describe(e: AnyEvent): { what: string; result: string } | undefined {
  switch (e.type) {
    case 'ServiceCreated':
      return { what: 'config created', result: `checksum ${e.data.checksum.slice(0, 12)}` };
    case 'ServiceConfigChanged':
      return { what: `config changed: ${e.data.changed.join(', ') || '(no keyword)'}`, result: `checksum ${e.data.checksum.slice(0, 12)}` };
    case 'ServiceDeleted':
      return { what: e.data.rids.length ? `resources deleted: ${e.data.rids.join(', ')}` : 'service deleted', result: 'ok' };
    case 'InstanceFrozen':
      return { what: 'frozen', result: 'ok' };
    case 'InstanceThawed':
      return { what: 'thawed', result: 'ok' };
    case 'ActionStarted':
      return { what: `${e.data.action} ${e.data.rids.join(' ')}`.trimEnd() + (e.data.reason ? ` (${e.data.relocation ? 'relocation: ' : ''}${e.data.reason})` : ''), result: 'running' };
    case 'ActionFinished':
      return { what: `${e.data.action} finished in ${(e.data.durationMs / 1000).toFixed(3)}s`, result: e.data.result === 'ok' ? 'ok' : `failed: ${e.data.error ?? ''}`.trimEnd() };
    case 'ActionRejected':
      return { what: `${e.data.action} rejected`, result: e.data.reason };
    case 'ActionInterrupted':
      return { what: `${e.data.action} interrupted (the process running it died)`, result: 'failed' };
    case 'RollbackStarted':
      return { what: `rollback ${e.data.rids.join(' ')}`, result: 'running' };
    case 'RollbackFinished':
      return { what: 'rollback finished', result: e.data.result };
    case 'InstanceStatusChanged':
      return { what: `status ${e.data.avail}${e.data.overall !== e.data.avail ? ` (overall ${e.data.overall})` : ''}`, result: '' };
    case 'ResourceStartFailed':
      return { what: `${e.rid} start failed`, result: e.data.reason };
    case 'ResourceStopFailed':
      return { what: `${e.rid} stop failed`, result: e.data.reason };
    default:
      return undefined;
  }
}

/** Reduce one stored event into the history of its service. */
export function evolveHistory(m: HistoryModel, a: Applied): HistoryModel {
  if (a.streamSeq <= m.lastSeq) return m;
  const e = a.event;
  if (e.svc === undefined) return { ...m, lastSeq: a.streamSeq };
  let open = m.open;
  if (e.type === 'ActionStarted') open = new Map(open).set(e.id, { by: e.data.user, argv: e.data.argv });
  const opened = e.causation !== undefined ? m.open.get(e.causation) : undefined;
  if (e.type === 'ActionFinished' && e.causation !== undefined && open.has(e.causation)) {
    open = new Map(open);
    (open as Map<string, OpenAction>).delete(e.causation);
  }
  const line = describe(e);
  if (!line) return { ...m, lastSeq: a.streamSeq, open };
  const entry: HistoryEntry = {
    streamSeq: a.streamSeq,
    time: e.time,
    node: e.origin,
    svc: e.svc,
    what: line.what,
    result: line.result,
    id: e.id,
    causation: e.causation,
    by: e.type === 'ActionStarted' ? e.data.user : opened?.by,
  };
  const cur = m.logs[e.svc];
  // share the backing array when this version is its newest reader; copy when a newer one already wrote past us
  const items = cur === undefined ? [] : cur.items.length === cur.length ? cur.items : cur.items.slice(0, cur.length);
  items.push(entry);
  return { lastSeq: a.streamSeq, open, logs: { ...m.logs, [e.svc]: { items, length: items.length } } };
}
