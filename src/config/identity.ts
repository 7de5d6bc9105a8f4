import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { emptyDocument, getValue, parseDocument, serializeDocument, setValue, type IniDocument } from '../../domain/config/document.js';
import { ConfigError } from '../../domain/errors.js';
import type { NodePaths } from '../paths.js';
import { writeFileAtomic } from './atomicWrite.js';

/** The node's name: the short hostname (the lab's UTS namespace sets it); OSVC_NODENAME overrides for tests. */
export function nodename(env: NodeJS.ProcessEnv = process.env): string {
  const n = env.OSVC_NODENAME ?? os.hostname().split('.')[0] ?? 'localhost';
  return n;
}

export interface ClusterIdentity {
  readonly name: string;
  readonly secret: string;
}

/** The file holding the cluster secret is readable by root only. */
export const CLUSTER_CONF_MODE = 0o600;

/** A node config file as a document; a missing file is an empty document. Syntax problems never echo lines (secrets). */
export function readConfigDocument(file: string): { readonly text: string; readonly doc: IniDocument; readonly exists: boolean } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', doc: emptyDocument(file), exists: false };
    throw e;
  }
  const parsed = parseDocument(text, file, { echo: false });
  if (!parsed.ok) throw new ConfigError(parsed.problems);
  return { text, doc: parsed.doc, exists: true };
}

/**
 * cluster.name and cluster.secret, generated on first use as OpenSVC does,
 * added to cluster.conf with the user's other lines kept. The file is 0600
 * and written atomically; when it does not exist yet it is created
 * exclusively, so two commands racing on first use agree on one secret (the
 * loser re-reads the winner's).
 */
export function loadClusterIdentity(p: NodePaths): ClusterIdentity {
  for (let attempt = 0; ; attempt++) {
    let cur = readConfigDocument(p.clusterConf);
    let name = getValue(cur.doc, 'cluster', 'name');
    let secret = getValue(cur.doc, 'cluster', 'secret');
    if (name && secret) return { name, secret };
    if (cur.exists && (name || secret || cur.text.trim() === '')) {
      // an existing file caught half-written by a tool that writes in place: look
      // again before generating anything, a new secret would split the cluster
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      cur = readConfigDocument(p.clusterConf);
      name = getValue(cur.doc, 'cluster', 'name');
      secret = getValue(cur.doc, 'cluster', 'secret');
      if (name && secret) return { name, secret };
    }
    let next = cur.doc;
    if (!name) next = setValue(next, 'cluster', 'name', defaultClusterName());
    if (!secret) next = setValue(next, 'cluster', 'secret', crypto.randomBytes(16).toString('hex'));
    try {
      writeFileAtomic(p.clusterConf, serializeDocument(next), { forceMode: CLUSTER_CONF_MODE, exclusive: !cur.exists });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 3) continue;
      throw e;
    }
  }
}

function defaultClusterName(): string {
  return `cluster${crypto.randomBytes(3).toString('hex')}`;
}
