import fs from 'node:fs';
import { credentialKeywords } from '../../domain/config/credentials.js';
import { changedKeywords } from '../../domain/config/diff.js';
import { parseDocument, serializeDocument, type IniDocument } from '../../domain/config/document.js';
import { checkNodeDocuments, type NodeConfig } from '../../domain/config/node.js';
import { ConfigError, ConflictError } from '../../domain/errors.js';
import type { NodePaths } from '../paths.js';
import { writeFileAtomic } from './atomicWrite.js';
import { CLUSTER_CONF_MODE, loadClusterIdentity, nodename, readConfigDocument } from './identity.js';

export interface NodeDocuments {
  readonly node: IniDocument;
  readonly cluster: IniDocument;
}

interface Current {
  readonly docs: NodeDocuments;
  readonly texts: { readonly node: string; readonly cluster: string };
}

function readCurrent(p: NodePaths): Current {
  loadClusterIdentity(p);
  const node = readConfigDocument(p.nodeConf);
  const cluster = readConfigDocument(p.clusterConf);
  return { docs: { node: node.doc, cluster: cluster.doc }, texts: { node: node.text, cluster: cluster.text } };
}

/** node.conf and cluster.conf as documents, cluster name and secret generated on first use. */
export function readNodeDocuments(p: NodePaths): NodeDocuments {
  return readCurrent(p).docs;
}

/**
 * The typed node config (heartbeats, listener, nats, cluster), defaults
 * applied; ConfigError listing every problem of both files.
 */
export function loadNodeConfig(p: NodePaths, env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const c = checkNodeDocuments(readCurrent(p).docs, nodename(env));
  if (!c.ok) throw new ConfigError(c.problems);
  return c.config;
}

export interface NodeFileChange {
  readonly file: string;
  /** `section.key` changed in this file */
  readonly changed: readonly string[];
}

/** node.conf may hold credentials (`[nats] url` with a password): root's eyes only, like cluster.conf. */
export const NODE_CONF_MODE = 0o600;

/**
 * Edit node.conf and cluster.conf together: both results are validated before
 * either is written, each write atomic; both files are written 0600.
 */
export function updateNodeConfig(p: NodePaths, env: NodeJS.ProcessEnv, edit: (docs: NodeDocuments) => NodeDocuments): NodeFileChange[] {
  const cur = readCurrent(p);
  const edited = edit(cur.docs);
  // validate the texts about to be written, parsed again: the files written are the ones checked
  const texts = { node: serializeDocument(edited.node), cluster: serializeDocument(edited.cluster) };
  const reparsed = { node: parseDocument(texts.node, p.nodeConf, { echo: false }), cluster: parseDocument(texts.cluster, p.clusterConf, { echo: false }) };
  if (!reparsed.node.ok || !reparsed.cluster.ok) {
    throw new ConfigError([...(reparsed.cluster.ok ? [] : reparsed.cluster.problems), ...(reparsed.node.ok ? [] : reparsed.node.problems)]);
  }
  const next: NodeDocuments = { node: reparsed.node.doc, cluster: reparsed.cluster.doc };
  const c = checkNodeDocuments(next, nodename(env));
  if (!c.ok) throw new ConfigError(c.problems);
  const out: NodeFileChange[] = [];
  for (const which of ['cluster', 'node'] as const) {
    const changed = changedKeywords(cur.docs[which], next[which]);
    if (changed.length === 0) continue;
    const file = which === 'cluster' ? p.clusterConf : p.nodeConf;
    const now = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (now !== cur.texts[which]) throw new ConflictError(`${file} was changed by someone else meanwhile: nothing written, try again`);
    writeFileAtomic(file, texts[which], { forceMode: which === 'cluster' ? CLUSTER_CONF_MODE : NODE_CONF_MODE });
    out.push({ file, changed });
  }
  return out;
}

/**
 * A node.conf others can read that holds credentials (written by hand or by
 * an older hasvc, 0644): made 0600. Returns what was found and the mode the
 * file had, when it was changed.
 */
export function tightenNodeConf(p: NodePaths): { readonly mode: number; readonly keywords: readonly string[] } | undefined {
  let mode: number;
  try {
    mode = fs.statSync(p.nodeConf).mode & 0o7777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if ((mode & 0o077) === 0) return undefined;
  const keywords = credentialKeywords(readConfigDocument(p.nodeConf).doc);
  if (keywords.length === 0) return undefined;
  fs.chmodSync(p.nodeConf, NODE_CONF_MODE);
  return { mode, keywords };
}
