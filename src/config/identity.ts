import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ini from 'ini';
import type { NodePaths } from '../paths.js';

/** The node's name: the short hostname (the lab's UTS namespace sets it); OSVC_NODENAME overrides for tests. */
export function nodename(env: NodeJS.ProcessEnv = process.env): string {
  const n = env.OSVC_NODENAME ?? os.hostname().split('.')[0] ?? 'localhost';
  return n;
}

export interface ClusterIdentity {
  readonly name: string;
  readonly secret: string;
}

/**
 * cluster.name and cluster.secret, generated on first use as OpenSVC does.
 * The file holding the secret is mode 0600; it is written atomically so two
 * commands racing on first use agree on one secret (the first rename wins,
 * the loser re-reads).
 */
export function loadClusterIdentity(p: NodePaths): ClusterIdentity {
  const read = (): Partial<ClusterIdentity> => {
    if (!fs.existsSync(p.clusterConf)) return {};
    const doc = ini.parse(fs.readFileSync(p.clusterConf, 'utf8')) as Record<string, Record<string, unknown>>;
    const c = doc.cluster ?? {};
    return {
      ...(typeof c.name === 'string' ? { name: c.name } : {}),
      ...(typeof c.secret === 'string' ? { secret: c.secret } : {}),
    };
  };
  const cur = read();
  if (cur.name && cur.secret) return { name: cur.name, secret: cur.secret };
  fs.mkdirSync(path.dirname(p.clusterConf), { recursive: true });
  const existing = fs.existsSync(p.clusterConf) ? fs.readFileSync(p.clusterConf, 'utf8') : '';
  const add: string[] = [];
  if (!cur.name) add.push(`name = ${defaultClusterName()}`);
  if (!cur.secret) add.push(`secret = ${crypto.randomBytes(16).toString('hex')}`);
  const next = insertIntoSection(existing, 'cluster', add);
  const tmp = `${p.clusterConf}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, next, { mode: 0o600 });
  fs.renameSync(tmp, p.clusterConf);
  fs.chmodSync(p.clusterConf, 0o600);
  const after = read();
  return { name: after.name!, secret: after.secret! };
}

function defaultClusterName(): string {
  return `cluster${crypto.randomBytes(3).toString('hex')}`;
}

/** Append keyword lines to a section, creating it, keeping everything else as it was. */
function insertIntoSection(text: string, section: string, lines: readonly string[]): string {
  const all = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const head = all.findIndex((l) => l.trim() === `[${section}]`);
  if (head < 0) return [...all, ...(all.length ? [''] : []), `[${section}]`, ...lines, ''].join('\n');
  let end = head + 1;
  while (end < all.length && !/^\s*\[/.test(all[end]!)) end++;
  while (end > head + 1 && all[end - 1]!.trim() === '') end--;
  all.splice(end, 0, ...lines);
  return `${all.join('\n')}\n`;
}
