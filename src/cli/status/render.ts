import type { Avail } from '../../../domain/instance/status.js';
import { resourceFlags } from '../../../domain/instance/status.js';
import { upOnMany } from '../../../projections/statusView.js';
import type { InstanceView, ServiceStatusView } from '../../../projections/statusView.js';
import type { Painter } from '../color.js';

/** Columns of the tutorial's `print status` tree. */
const STATUS_COL = 31;
const STATUS_WIDTH = 11;
const RID_WIDTH = 15;
const NOTES_WRAP = 20;
const RESOURCE_LOG_COL = 78;

export function paintAvail(p: Painter, a: Avail | string, padTo = 0): string {
  const text = a.padEnd(padTo);
  if (a === 'up' || a === 'stdby up') return p.green(text);
  if (a === 'down' || a === 'stdby down' || a === 'undef') return text;
  if (a === 'warn') return p.yellow(text);
  if (a === 'n/a') return p.grey(text);
  return p.red(text);
}

/** "warn, frozen, idle, started" cut into lines of at most 20 characters, at comma boundaries. */
export function wrapNotes(notes: readonly string[]): string[] {
  const lines: string[] = [];
  let cur = '';
  notes.forEach((n, i) => {
    const piece = i < notes.length - 1 ? `${n},` : n;
    const next = cur === '' ? piece : `${cur} ${piece}`;
    if (cur !== '' && next.length > NOTES_WRAP) {
      lines.push(cur);
      cur = piece;
    } else {
      cur = next;
    }
  });
  if (cur !== '') lines.push(cur);
  return lines;
}

export function instanceNotes(i: InstanceView): string[] {
  if (i.daemonDown) return ['daemon down'];
  if (i.notConfigured === true) return ['not configured'];
  const notes: string[] = [];
  if (i.overall === 'warn') notes.push('warn');
  if (i.frozen) notes.push('frozen');
  notes.push(i.monitorState);
  if (i.expect === 'started') notes.push('started');
  return notes;
}

export function renderStatus(v: ServiceStatusView, p: Painter): string[] {
  const out: string[] = [];
  const head = `${p.bold(v.name)}${' '.repeat(Math.max(1, STATUS_COL - v.name.length))}`;
  // a failover service up on two nodes is said on its first line, where nobody misses it
  const many = upOnMany(v);
  const notice = many.length > 0 ? p.red(`up on ${many.join(', ')}: a failover service runs on one node`) : '';
  if (v.overall !== v.avail) out.push(`${head}${paintAvail(p, v.avail, STATUS_WIDTH)}${paintAvail(p, v.overall)}${notice === '' ? '' : `, ${notice}`}`);
  else out.push(notice === '' ? `${head}${paintAvail(p, v.avail)}` : `${head}${paintAvail(p, v.avail, STATUS_WIDTH)}${notice}`);
  out.push('`- instances');
  v.instances.forEach((inst, ii) => {
    const lastInst = ii === v.instances.length - 1;
    const branch = lastInst ? '`- ' : '|- ';
    const bar = lastInst ? '   ' : '|  ';
    const shown: Avail = inst.daemonDown ? 'undef' : inst.avail;
    // the service's target on every instance that can tell, as OpenSVC's `>placed@node2`
    const live = !inst.daemonDown && inst.notConfigured !== true;
    const notes = wrapNotes([...instanceNotes(inst), ...(v.target !== undefined && live ? [`>${v.target}`] : [])]);
    const left = `   ${branch}${p.bold(inst.node)}`;
    const leftLen = 3 + branch.length + inst.node.length;
    out.push(`${left}${' '.repeat(Math.max(1, STATUS_COL - leftLen))}${paintAvail(p, shown, STATUS_WIDTH)}${notes[0] ?? ''}`.trimEnd());
    const resBar = inst.resources.length > 0 && !inst.daemonDown ? '|' : ' ';
    for (const more of notes.slice(1)) {
      out.push(`   ${bar}${resBar}${' '.repeat(STATUS_COL + STATUS_WIDTH - 7)}${more}`);
    }
    if (inst.daemonDown) return;
    inst.resources.forEach((r, ri) => {
      const lastRes = ri === inst.resources.length - 1;
      const rb = lastRes ? '`- ' : '|- ';
      out.push(`   ${bar}${rb}${r.rid.padEnd(RID_WIDTH)}${resourceFlags(r)} ${paintAvail(p, r.status, STATUS_WIDTH)}${r.label}`.trimEnd());
      const cont = `   ${bar}${lastRes ? '   ' : '|  '}`;
      for (const line of r.log) out.push(`${cont.trimEnd().padEnd(RESOURCE_LOG_COL)}${line}`);
    });
  });
  return out;
}
