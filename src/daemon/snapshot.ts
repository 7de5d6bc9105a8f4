import fs from 'node:fs';
import path from 'node:path';
import type { InstancesCheckpoint } from '../../projections/instances.js';
import type { NodePaths } from '../paths.js';

/**
 * What the monitor saves so a restart does not replay the whole log: the
 * instances projection's checkpoint, the node states, and the id of the
 * event at lastSeq — a stream recreated since (store wiped, another cluster)
 * has another event there, and the snapshot is then ignored.
 */
export interface MonitorSnapshot {
  /**
   * 4: the instance machine's context holds the failover penalties;
   * 3: frozen is in the instance machine's context, not a parallel region;
   * 2: an instance's availability is kept beside its machine. A snapshot of
   * another version is not used: the log is replayed over.
   */
  readonly version: 4;
  readonly cluster: string;
  readonly lastSeq: number;
  readonly lastId: string | undefined;
  readonly instances: InstancesCheckpoint;
  readonly nodes: Readonly<Record<string, { readonly frozen: boolean }>>;
}

export function snapshotPath(p: NodePaths): string {
  return path.join(p.var, 'projections', 'instances.json');
}

export function readSnapshot(file: string): MonitorSnapshot | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const s = raw as Partial<MonitorSnapshot>;
  if (s.version !== 4 || typeof s.cluster !== 'string' || typeof s.lastSeq !== 'number' || typeof s.instances !== 'object' || s.instances === null) return undefined;
  if (!Array.isArray(s.instances.instances) || s.instances.lastSeq !== s.lastSeq) return undefined;
  return { version: 4, cluster: s.cluster, lastSeq: s.lastSeq, lastId: typeof s.lastId === 'string' ? s.lastId : undefined, instances: s.instances, nodes: typeof s.nodes === 'object' && s.nodes !== null ? s.nodes : {} };
}

/** tmp file, fsync, rename: a crash leaves the old snapshot or the new one, never half of one. */
export function writeSnapshot(file: string, s: MonitorSnapshot): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(s));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
