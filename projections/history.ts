import type { AnyEvent, EventType } from '../domain/events.js';
import type { Applied } from './instances.js';

/** One line of `print history`: what happened, where, why, with what result. */
export interface HistoryEntry {
  readonly streamSeq: number;
  readonly time: string;
  readonly node: string;
  /** undefined for a node's event (nodemgr print history) */
  readonly svc: string | undefined;
  readonly type: EventType;
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
 * The history read model, an immutable value to callers. Entries are
 * append-only, so versions share one book of per-service arrays, each entry
 * with its position in the book: a version reads the entries below its own
 * size, and evolving it appends in place when it is the newest version
 * (constant time per event, whatever the number of services), or copies its
 * part of the book first when another version already wrote past it.
 */
export interface HistoryModel {
  readonly lastSeq: number;
  /** how many entries this version holds, all services together */
  readonly size: number;
  readonly book: HistoryBook;
  /** actions started and not finished yet, by ActionStarted id */
  readonly open: ReadonlyMap<string, OpenAction>;
}

interface HistoryBook {
  size: number;
  /** per service, its entries and their positions in the book (both in book order) */
  readonly bySvc: Map<string, { readonly items: HistoryEntry[]; readonly at: number[] }>;
}

/** Never written: the first entry of any history copies it (two readers may start from here). */
const EMPTY_BOOK: HistoryBook = { size: 0, bySvc: new Map() };

export const emptyHistory: HistoryModel = { lastSeq: 0, size: 0, book: EMPTY_BOOK, open: new Map() };

/** The node events that make the cluster's history (nodemgr print history). */
export const NODE_HISTORY_TYPES: ReadonlySet<string> = new Set<EventType>([
  'DaemonStarted',
  'DaemonStopped',
  'NodeFrozen',
  'NodeThawed',
  'NodeJoined',
  'NodeConfigChanged',
  'PeerStateChanged',
  'QuorumChanged',
  'SplitActionRan',
]);

/** Where a node's events are kept in the book: no service is named so. */
const NODE_KEY = '';

/** The event types that make history; evolveHistory only moves lastSeq for the others (see skipHistory). */
export const HISTORY_TYPES: ReadonlySet<string> = new Set<EventType>([
  ...(NODE_HISTORY_TYPES as ReadonlySet<EventType>),
  'ServiceCreated',
  'ServiceConfigChanged',
  'ServiceDeleted',
  'InstanceFrozen',
  'InstanceThawed',
  'InstanceCleared',
  'ServiceTargetRequested',
  'ServiceTargetReached',
  'ServiceTargetFailed',
  'ServiceTargetAborted',
  'ActionStarted',
  'ActionFinished',
  'ActionRejected',
  'ActionInterrupted',
  'RollbackStarted',
  'RollbackFinished',
  'InstanceStatusChanged',
  'ResourceStartFailed',
  'ResourceStopFailed',
]);

/** A service's entries, oldest first. */
export function historyOf(m: HistoryModel, svc: string): readonly HistoryEntry[] {
  const log = m.book.bySvc.get(svc);
  if (!log) return [];
  let n = log.items.length;
  while (n > 0 && log.at[n - 1]! >= m.size) n--;
  return n === log.items.length ? log.items : log.items.slice(0, n);
}

/** Every entry, every service's and the nodes', in log order. */
export function clusterHistory(m: HistoryModel): readonly HistoryEntry[] {
  const all: { entry: HistoryEntry; at: number }[] = [];
  for (const log of m.book.bySvc.values()) {
    for (let i = 0; i < log.items.length && log.at[i]! < m.size; i++) all.push({ entry: log.items[i]!, at: log.at[i]! });
  }
  return all.sort((a, b) => a.at - b.at).map((x) => x.entry);
}

export interface HistoryFilter {
  readonly node?: string;
  /** entries at or before this time (ms) */
  readonly until?: number;
  readonly types?: ReadonlySet<string>;
}

/** print history --node, --until, --type */
export function filterHistory(entries: readonly HistoryEntry[], f: HistoryFilter): readonly HistoryEntry[] {
  return entries.filter((e) => (f.node === undefined || e.node === f.node) && (f.until === undefined || Date.parse(e.time) <= f.until) && (f.types === undefined || f.types.has(e.type)));
}

/** A record of a type not in HISTORY_TYPES, undecoded: only the sequence moves. */
export function skipHistory(m: HistoryModel, streamSeq: number): HistoryModel {
  return streamSeq <= m.lastSeq ? m : { ...m, lastSeq: streamSeq };
}

/** The history line of an event, or undefined for events that make none (HISTORY_TYPES lists the others). */
export function describeEvent(e: AnyEvent): { what: string; result: string } | undefined {
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
    case 'InstanceCleared':
      return { what: 'cleared: failed states and failover penalties reset', result: 'ok' };
    case 'ServiceTargetRequested':
      return { what: `target ${e.data.target === 'placed' ? `placed@${e.data.node ?? '?'}` : e.data.target} (${e.data.action} by ${e.data.by})`, result: 'requested' };
    case 'ServiceTargetReached':
      return { what: `target ${e.data.target}`, result: 'reached' };
    case 'ServiceTargetFailed':
      return { what: `target ${e.data.target}`, result: `failed: ${e.data.reason}` };
    case 'ServiceTargetAborted':
      return { what: `target ${e.data.target} aborted by ${e.data.by}`, result: 'aborted' };
    case 'ActionStarted':
      return { what: `${e.data.action} ${e.data.rids.join(' ')}`.trimEnd() + (e.data.reason ? ` (${e.data.relocation ? 'relocation: ' : ''}${e.data.reason})` : ''), result: 'running' };
    case 'ActionFinished':
      return {
        what: `${e.data.action} finished in ${(e.data.durationMs / 1000).toFixed(3)}s`,
        result: e.data.result === 'ok' ? 'ok' : e.data.conflict !== undefined ? `aborted: ${e.data.conflict} conflict` : `failed: ${e.data.error ?? ''}`.trimEnd(),
      };
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
    case 'DaemonStarted':
      return { what: 'daemon started', result: `pid ${e.data.pid}, version ${e.data.version}` };
    case 'DaemonStopped':
      return { what: 'daemon stopped', result: `pid ${e.data.pid}` };
    case 'NodeFrozen':
      return { what: 'node frozen', result: 'ok' };
    case 'NodeThawed':
      return { what: 'node thawed', result: 'ok' };
    case 'NodeJoined':
      return { what: `${e.data.node} joined the cluster`, result: 'ok' };
    case 'NodeConfigChanged':
      return { what: `${e.data.file} changed: ${e.data.changed.join(', ') || '(no keyword)'}`, result: 'ok' };
    case 'PeerStateChanged':
      return { what: `peer ${e.data.node} ${e.data.to}${e.data.from !== undefined ? ` (was ${e.data.from})` : ''}`, result: e.data.why };
    case 'QuorumChanged':
      return { what: `quorum ${e.data.held ? 'held' : 'lost'}`, result: `${e.data.votes} of ${e.data.total} votes` };
    case 'SplitActionRan':
      return { what: `split action ${e.data.action}: ${e.data.done}`, result: e.data.reason };
    default:
      return undefined;
  }
}

/** Reduce one stored event into the history of its service. */
export function evolveHistory(m: HistoryModel, a: Applied): HistoryModel {
  if (a.streamSeq <= m.lastSeq) return m;
  const e = a.event;
  if (!HISTORY_TYPES.has(e.type)) return { ...m, lastSeq: a.streamSeq };
  let open = m.open;
  if (e.type === 'ActionStarted') open = new Map(open).set(e.id, { by: e.data.user, argv: e.data.argv });
  const opened = e.causation !== undefined ? m.open.get(e.causation) : undefined;
  if (e.type === 'ActionFinished' && e.causation !== undefined && open.has(e.causation)) {
    open = new Map(open);
    (open as Map<string, OpenAction>).delete(e.causation);
  }
  const line = describeEvent(e);
  if (!line) return { ...m, lastSeq: a.streamSeq, open };
  const entry: HistoryEntry = {
    streamSeq: a.streamSeq,
    time: e.time,
    node: e.origin,
    svc: e.svc,
    type: e.type,
    what: line.what,
    result: line.result,
    id: e.id,
    causation: e.causation,
    by: e.type === 'ActionStarted' ? e.data.user : opened?.by,
  };
  const book = m.size === m.book.size && m.book !== EMPTY_BOOK ? m.book : copyBook(m);
  const key = e.svc ?? NODE_KEY;
  let log = book.bySvc.get(key);
  if (!log) book.bySvc.set(key, (log = { items: [], at: [] }));
  log.items.push(entry);
  log.at.push(book.size++);
  return { lastSeq: a.streamSeq, size: book.size, book, open };
}

/** The part of the book a version holds, for a version that is not the newest (or the empty one). */
function copyBook(m: HistoryModel): HistoryBook {
  const bySvc = new Map<string, { items: HistoryEntry[]; at: number[] }>();
  for (const [svc, log] of m.book.bySvc) {
    const n = historyOf(m, svc).length;
    if (n > 0) bySvc.set(svc, { items: log.items.slice(0, n), at: log.at.slice(0, n) });
  }
  return { size: m.size, bySvc };
}
