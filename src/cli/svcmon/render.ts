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

/** An instance cell: O up, X down, ! warn, / n/a; then ! overall warn, * frozen, and the action in progress or failed. */
export function instanceCell(i: InstanceSummary): string {
  const base = SYMBOL[i.avail] ?? '?';
  const warn = i.overall === 'warn' && i.avail !== 'warn' ? '!' : '';
  const frozen = i.frozen ? '*' : '';
  const state = i.monitorState !== 'idle' ? ` ${i.monitorState}` : '';
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
}

export function renderSvcmon(s: DaemonStatus, p: Painter, o: RenderOptions = {}): string[] {
  const services = s.services.filter((x) => o.services?.(x.name) ?? true);
  const nodes = s.nodes.map((n) => n.name);
  const cellWidth = Math.max(6, ...nodes.map((n) => n.length + 1));
  const threadName = Math.max(NAME_WIDTH, ...s.threads.map((t) => t.name.length + 1));
  const svcName = Math.max(NAME_WIDTH, ...services.map((x) => x.name.length + 1));
  const left = Math.max(
    MIN_LEFT,
    ...services.map((x) => 1 + svcName + Math.max(AVAIL_WIDTH, serviceAvail(x).length + 1) + Math.max(TOPOLOGY_WIDTH, x.topology.length + 1)),
  );
  const header = (title: string) => `${title.padEnd(left + 2)}${nodes.map((n, i) => p.bold(i === nodes.length - 1 ? n : n.padEnd(cellWidth))).join('')}`;
  const cells = (values: readonly string[], paint: (v: string, i: number, padded: string) => string = (_v, _i, x) => x) =>
    values.map((v, i) => paint(v, i, i === values.length - 1 ? v : v.padEnd(cellWidth))).join('').trimEnd();
  const out: string[] = [];

  out.push(header('Threads'));
  for (const t of s.threads) {
    const line = threadLine(t, threadName, p);
    // heartbeat threads have a cell per node: `/` this node, `O` beating, `X` silent
    if (t.peers === undefined) out.push(line);
    else out.push(`${line}${' '.repeat(Math.max(1, left - visibleLength(line)))}| ${cells(nodes.map((n) => t.peers?.[n] ?? ''))}`.trimEnd());
  }
  out.push('');

  out.push(header('Nodes'));
  const load = s.nodes.map((n) => (n.load15m === undefined ? '' : n.load15m.toFixed(1)));
  out.push(`${` ${p.bold(' 15m')}`}${' '.repeat(left - 5)}| ${cells(load)}`.trimEnd());
  out.push(`${` ${p.bold(' state')}`}${' '.repeat(left - 7)}| ${cells(s.nodes.map((n) => `${n.frozen ? '*' : ''}${NODE_STATE[n.state ?? 'up'] ?? ''}`), (_v, _i, x) => p.grey(x))}`.trimEnd());
  out.push('');

  out.push(header('Services'));
  for (const x of services) {
    const availText = serviceAvail(x);
    const availWidth = Math.max(AVAIL_WIDTH, availText.length + 1);
    const head = ` ${p.bold(x.name.padEnd(svcName))}${paintAvail(p, x.overall === 'warn' ? 'warn' : x.avail, availText.padEnd(availWidth))}${x.topology}`;
    const headLen = 1 + svcName + availWidth + x.topology.length;
    const byNode = new Map(x.instances.map((i) => [i.node, i]));
    const values = nodes.map((n) => {
      const i = byNode.get(n);
      return i ? instanceCell(i) : '';
    });
    const painted = cells(values, (v, i, padded) => {
      const inst = byNode.get(nodes[i]!);
      return inst ? paintAvail(p, inst.avail, padded) : padded;
    });
    out.push(`${head}${' '.repeat(Math.max(1, left - headLen))}| ${painted}`.trimEnd());
  }
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
