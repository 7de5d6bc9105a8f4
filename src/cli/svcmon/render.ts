import type { Avail } from '../../../domain/instance/status.js';
import type { DaemonStatus, InstanceSummary, ServiceSummary } from '../../daemon/readModel.js';
import type { ThreadView } from '../../daemon/threads.js';
import type { Painter } from '../color.js';

/**
 * svcmon's layout, as the tutorial shows it:
 *
 *   Threads                            node1 node2
 *    listener  running 0.0.0.0:1214
 *    monitor   running
 *    scheduler running
 *
 *   Nodes                              node1 node2
 *     15m                            | 0.1   0.1
 *     state                          |       *
 *
 *   Services                           node1 node2
 *    svc1      up!     failover      | O!*
 *
 * The `|` column is shared by every section, one column per node after it.
 * Threads of this node only (listener, monitor...) have no node columns:
 * their address may run past the `|` column.
 */
const MIN_LEFT = 33;
const STATE_WIDTH = 8;
const AVAIL_WIDTH = 8;
const TOPOLOGY_WIDTH = 14;
const NAME_WIDTH = 10;

/** A peer's cell in the Nodes state line: X proven down, ? silent with no proof, ~ beating on a disk heartbeat only (cut off). */
const NODE_STATE: Readonly<Record<string, string>> = { down: 'X', lost: '?', alive: '~' };

const SYMBOL: Readonly<Record<Avail, string>> = { up: 'O', down: 'X', warn: '!', 'n/a': '/', undef: '?', 'stdby up': 'o', 'stdby down': 'x' };

/**
 * An instance cell: O up, X down, ! warn, / n/a; then ! overall warn, *
 * frozen, and the action in progress or failed, else the service's target
 * (OpenSVC's ` >placed@node2`).
 */
export function instanceCell(i: InstanceSummary, target?: string): string {
  const base = SYMBOL[i.avail] ?? '?';
  const warn = i.overall === 'warn' && i.avail !== 'warn' ? '!' : '';
  const frozen = i.frozen ? '*' : '';
  const state = i.monitorState !== 'idle' ? ` ${i.monitorState}` : target !== undefined && i.avail !== 'undef' ? ` >${target}` : '';
  return `${base}${warn}${frozen}${state}`;
}

/** The service's avail column: `up!` when its overall status is warn, `*` when frozen everywhere. */
export function serviceAvail(s: ServiceSummary): string {
  return `${s.avail}${s.overall === 'warn' && s.avail !== 'warn' ? '!' : ''}${s.frozen === 'frozen' ? '*' : ''}`;
}

function paintThreadState(p: Painter, state: string, width: number): string {
  const text = state.padEnd(width);
  if (state === 'running') return p.green(text);
  if (state === 'failed' || state === 'stopped') return p.red(text);
  return p.yellow(text);
}

function paintAvail(p: Painter, avail: Avail, text: string): string {
  if (avail === 'up' || avail === 'stdby up') return p.green(text);
  if (avail === 'warn') return p.yellow(text);
  if (avail === 'n/a' || avail === 'undef') return p.grey(text);
  return text;
}

export interface RenderOptions {
  /** only these services (svcmon -s) */
  readonly services?: (name: string) => boolean;
  /** the terminal's columns (80 when not a terminal): node columns that do not fit go to another block */
  readonly width?: number;
}

/** A line of a section: with a cell per node after the `|` column, or without (threads of this node only, headers, blanks). */
type Row =
  | { readonly kind: 'plain'; readonly text: string }
  | { readonly kind: 'header'; readonly title: string }
  | { readonly kind: 'cells'; readonly head: string; readonly headLen: number; readonly values: readonly string[]; readonly paint?: (v: string, node: number, padded: string) => string };

export const DEFAULT_WIDTH = 80;

/**
 * Each node column's width: the tutorial's (6, or the longest name and a
 * space) while every column fits the terminal; past it, each column as wide
 * as its name or widest cell and a space.
 */
export function columnWidths(nodes: readonly string[], values: readonly (readonly string[])[], left: number, width: number): number[] {
  // a cell saying more than a symbol (`O stopping`, `X >placed@node2`) widens the columns: none runs into the next
  const uniform = Math.max(6, ...nodes.map((n) => n.length + 1), ...values.flatMap((v) => v.slice(0, -1).map((c) => c.length + 1)));
  if (left + 2 + uniform * nodes.length <= width + 1) return nodes.map(() => uniform);
  return nodes.map((n, i) => Math.max(n.length, ...values.map((v) => (v[i] ?? '').length)) + 1);
}

/**
 * Node columns in blocks that fit the terminal after the left part, in
 * order, at least one column a block; as many blocks as needed, the
 * columns shared out evenly between them when they fit so (8 nodes on 80
 * columns: 4 and 4, not 7 and 1).
 */
export function columnBlocks(widths: readonly number[], left: number, width: number): number[][] {
  const room = Math.max(1, width + 1 - (left + 2));
  const greedy: number[][] = [];
  let cur: number[] = [];
  let used = 0;
  widths.forEach((w, i) => {
    if (cur.length > 0 && used + w > room) {
      greedy.push(cur);
      cur = [];
      used = 0;
    }
    cur.push(i);
    used += w;
  });
  if (cur.length > 0) greedy.push(cur);
  const per = Math.ceil(widths.length / Math.max(1, greedy.length));
  const even: number[][] = [];
  for (let i = 0; i < widths.length; i += per) even.push(widths.slice(i, i + per).map((_w, j) => i + j));
  const fits = even.length === greedy.length && even.every((blk) => blk.length === 1 || blk.reduce((sum, i) => sum + widths[i]!, 0) <= room);
  return fits ? even : greedy;
}

export function renderSvcmon(s: DaemonStatus, p: Painter, o: RenderOptions = {}): string[] {
  const services = s.services.filter((x) => o.services?.(x.name) ?? true);
  const nodes = s.nodes.map((n) => n.name);
  const threadName = Math.max(NAME_WIDTH, ...s.threads.map((t) => t.name.length + 1));
  const svcName = Math.max(NAME_WIDTH, ...services.map((x) => x.name.length + 1));
  const left = Math.max(
    MIN_LEFT,
    ...services.map((x) => 1 + svcName + Math.max(AVAIL_WIDTH, serviceAvail(x).length + 1) + Math.max(TOPOLOGY_WIDTH, x.topology.length + 1)),
  );
  const rows: Row[] = [{ kind: 'header', title: 'Threads' }];
  for (const t of s.threads) {
    const line = threadLine(t, threadName, p);
    // heartbeat threads have a cell per node: `/` this node, `O` beating, `X` silent
    if (t.peers === undefined) rows.push({ kind: 'plain', text: line });
    else rows.push({ kind: 'cells', head: line, headLen: visibleLength(line), values: nodes.map((n) => t.peers?.[n] ?? '') });
  }
  rows.push({ kind: 'plain', text: '' }, { kind: 'header', title: 'Nodes' });
  rows.push({ kind: 'cells', head: ` ${p.bold(' 15m')}`, headLen: 5, values: s.nodes.map((n) => (n.load15m === undefined ? '' : n.load15m.toFixed(1))) });
  rows.push({ kind: 'cells', head: ` ${p.bold(' state')}`, headLen: 7, values: s.nodes.map((n) => `${n.frozen ? '*' : ''}${NODE_STATE[n.state ?? 'up'] ?? ''}`), paint: (_v, _i, x) => p.grey(x) });
  rows.push({ kind: 'plain', text: '' }, { kind: 'header', title: 'Services' });
  for (const x of services) {
    const availText = serviceAvail(x);
    const availWidth = Math.max(AVAIL_WIDTH, availText.length + 1);
    const head = ` ${p.bold(x.name.padEnd(svcName))}${paintAvail(p, x.overall === 'warn' ? 'warn' : x.avail, availText.padEnd(availWidth))}${x.topology}`;
    const byNode = new Map(x.instances.map((i) => [i.node, i]));
    const values = nodes.map((n) => {
      const i = byNode.get(n);
      return i ? instanceCell(i, x.target) : '';
    });
    const paint = (_v: string, n: number, padded: string) => {
      const inst = byNode.get(nodes[n]!);
      return inst ? paintAvail(p, inst.avail, padded) : padded;
    };
    rows.push({ kind: 'cells', head, headLen: 1 + svcName + availWidth + x.topology.length, values, paint });
  }

  const width = o.width ?? DEFAULT_WIDTH;
  const widths = columnWidths(nodes, rows.flatMap((r) => (r.kind === 'cells' ? [r.values] : [])), left, width);
  const blocks = columnBlocks(widths, left, width);
  const out: string[] = [];
  blocks.forEach((block, b) => {
    if (b > 0) out.push('');
    const last = block[block.length - 1];
    const header = (title: string) => `${title.padEnd(left + 2)}${block.map((i) => p.bold(i === last ? nodes[i]! : nodes[i]!.padEnd(widths[i]!))).join('')}`;
    const cells = (r: Extract<Row, { kind: 'cells' }>) =>
      block.map((i) => { const v = r.values[i] ?? ''; return (r.paint ?? ((_v, _i, x) => x))(v, i, i === last ? v : v.padEnd(widths[i]!)); }).join('').trimEnd();
    for (const r of rows) {
      if (r.kind === 'header') out.push(header(r.title));
      // threads of this node alone: said once, in the first block
      else if (r.kind === 'plain') out.push(...(b === 0 || r.text === '' ? [r.text] : []));
      else out.push(`${r.head}${' '.repeat(Math.max(1, left - r.headLen))}| ${cells(r)}`.trimEnd());
    }
  });
  const warnings = (s.warnings ?? []).filter((w) => o.services === undefined || !/^\S+: /.test(w) || o.services(w.split(':')[0]!));
  if (warnings.length > 0) {
    out.push('', p.bold('Warnings'));
    for (const w of warnings) out.push(` ${p.yellow('!')} ${w}`);
  }
  return out;
}

const ANSI_RE = /\x1b\[[0-9;]*m/g;

function stripAnsi(text: string): string {
  return text.replace(ANSI_RE, '');
}

function visibleLength(text: string): number {
  return stripAnsi(text).length;
}

function threadLine(t: ThreadView, nameWidth: number, p: Painter): string {
  const detail = t.state !== 'running' && t.detail ? ` (${t.detail})` : '';
  return ` ${p.bold(t.name.padEnd(nameWidth))}${paintThreadState(p, t.state, STATE_WIDTH - 1)} ${t.address ?? ''}${detail}`.trimEnd();
}

/** The `Threads` section alone: `nodemgr daemon status`. */
export function renderThreads(s: DaemonStatus, p: Painter): string[] {
  const threadName = Math.max(NAME_WIDTH, ...s.threads.map((t) => t.name.length + 1));
  return [`${'Threads'.padEnd(MIN_LEFT + 2)}${p.bold(s.node)}`, ...s.threads.map((t) => threadLine(t, threadName, p))];
}
