import { produce } from 'immer';
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

export interface HistoryModel {
  readonly lastSeq: number;
  /** per service, oldest first */
  readonly entries: Readonly<Record<string, readonly HistoryEntry[]>>;
  /** ActionStarted of actions not finished yet: the start of an entry */
  readonly open: Readonly<Record<string, { readonly by: string | undefined; readonly argv: readonly string[] }>>;
}

export const emptyHistory: HistoryModel = { lastSeq: 0, entries: {}, open: {} };

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
      return { what: `${e.data.action} ${e.data.rids.join(' ')}`.trimEnd(), result: 'running' };
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

/** Reduce one stored event into the history of its service. Pure. */
export function evolveHistory(m: HistoryModel, a: Applied): HistoryModel {
  if (a.streamSeq <= m.lastSeq) return m;
  const e = a.event;
  return produce(m, (d) => {
    d.lastSeq = a.streamSeq;
    if (e.svc === undefined) return;
    const line = describe(e);
    if (e.type === 'ActionStarted') d.open[e.id] = { by: e.data.user, argv: e.data.argv };
    const opened = e.causation !== undefined ? d.open[e.causation] : undefined;
    if (e.type === 'ActionFinished' && e.causation !== undefined) delete d.open[e.causation];
    if (!line) return;
    const list = (d.entries[e.svc] ??= []);
    list.push({
      streamSeq: a.streamSeq,
      time: e.time,
      node: e.origin,
      svc: e.svc,
      what: line.what,
      result: line.result,
      id: e.id,
      causation: e.causation,
      by: e.type === 'ActionStarted' ? e.data.user : opened?.by,
    });
  });
}
