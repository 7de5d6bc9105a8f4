import fs from 'node:fs';
import path from 'node:path';
import type { ResourceDriver } from '../../adapters/resources/driver.js';
import { changedKeywords } from '../../domain/config/diff.js';
import { parseDocument } from '../../domain/config/document.js';
import type { ResourceConfig } from '../../domain/config/types.js';
import { ConfigError } from '../../domain/errors.js';
import { setFrozen } from '../action/statusCache.js';
import { writeFileAtomic } from '../config/atomicWrite.js';
import { configChecksum } from '../config/checksum.js';
import { checkServiceName, serviceFiles } from '../config/serviceFiles.js';
import { validServiceConfig } from '../config/serviceStore.js';
import type { EventSink } from '../events/sink.js';
import type { NodePaths } from '../paths.js';
import { availAppsExcluded } from './avail.js';
import { parsePayload, type ConfigPayload } from './payload.js';

export type ReceiveResult =
  | { readonly ok: true; readonly result: 'created' | 'changed' | 'unchanged'; readonly checksum: string; readonly node: string }
  | { readonly ok: false; readonly status: number; readonly reason: string };

export interface ReceiveDeps {
  readonly paths: NodePaths;
  /** this node */
  readonly node: string;
  readonly sink: EventSink;
  /** target of the <svc> symlink: this node's svcmgr */
  readonly svcmgrPath: string;
  readonly driverFor: (conf: ResourceConfig) => ResourceDriver;
  readonly signal: AbortSignal;
}

/** bin/svcmgr beside the running bin/nodemgr (the daemon's argv[1]), as `create` links to it. */
export function installedSvcmgrPath(argv1 = process.argv[1]): string {
  if (argv1 === undefined) return 'svcmgr';
  let real = argv1;
  try {
    real = fs.realpathSync(argv1);
  } catch {
    /* not a file: keep what we were run as */
  }
  return path.join(path.dirname(real), 'svcmgr');
}

/** The checksum of this node's copy of a service config, or undefined when it has none. */
export function localChecksum(p: NodePaths, svc: string): string | undefined {
  try {
    return configChecksum(fs.readFileSync(serviceFiles(p, checkServiceName(svc)).conf, 'utf8'));
  } catch {
    return undefined;
  }
}

function ensureSymlink(link: string, target: string): void {
  let cur: string | undefined;
  try {
    const st = fs.lstatSync(link);
    if (!st.isSymbolicLink()) throw new ConfigError([`${link} exists and is not a symlink: move it away first`]);
    cur = fs.readlinkSync(link);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (cur === target) return;
  const tmp = `${link}.${process.pid}.tmp`;
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(target, tmp);
  fs.renameSync(tmp, link);
}

/** A launcher replaced whole (temp + rename): a script never runs half written. */
function writeBytesAtomic(file: string, data: Buffer, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.sync.tmp`);
  try {
    fs.writeFileSync(tmp, data, { mode: mode & 0o700 });
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function writeLaunchers(p: NodePaths, svc: string, payload: ConfigPayload): void {
  const f = serviceFiles(p, svc);
  const l = payload.launchers;
  switch (l.kind) {
    case 'none':
      return;
    case 'link':
      ensureSymlink(f.launchers, l.target);
      return;
    case 'dir':
      fs.mkdirSync(f.dir, { recursive: true, mode: 0o755 });
      for (const file of l.files) {
        const dest = path.join(f.dir, ...file.path.split('/'));
        writeBytesAtomic(dest, Buffer.from(file.content, 'base64'), file.mode);
      }
      ensureSymlink(f.launchers, path.basename(f.dir));
      return;
    default: {
      const never: never = l;
      return never;
    }
  }
}

/**
 * Launchers first, then the <svc> command, <svc>.conf last: the config
 * appears (or changes) only once what it runs is in place. A launcher dir
 * or link this node has in the way refuses the sync, saying which file.
 */
function writeFiles(d: ReceiveDeps, svc: string, payload: ConfigPayload, conf: boolean): ReceiveResult | undefined {
  const f = serviceFiles(d.paths, svc);
  try {
    fs.mkdirSync(d.paths.etc, { recursive: true });
    writeLaunchers(d.paths, svc, payload);
    ensureSymlink(f.link, d.svcmgrPath);
    if (conf) writeFileAtomic(f.conf, payload.text, { mode: 0o644 });
    return undefined;
  } catch (e) {
    const why = e instanceof ConfigError ? e.problems.join('; ') : (e as Error).message;
    return { ok: false, status: 409, reason: `${svc} files not written on ${d.node}: ${why}` };
  }
}

/**
 * A service config pushed by a peer (`sync nodes` there), already signed
 * with the cluster secret. Refused, with nothing written:
 *  - a payload that does not match its checksum, or a config invalid here;
 *  - a config whose nodes and drpnodes name neither this node nor the sender;
 *  - a service of the same name but another id (a different service);
 *  - a different config while the service is up here, apps excluded: the
 *    running instance's config is changed where it runs, then synced from
 *    there, never overwritten from a passive node.
 * Otherwise written atomically (launchers first, <svc>.conf last, renamed
 * into place), with the <svc> and <svc>.d symlinks `create` makes, and
 * recorded here: ServiceCreated (+ InstanceFrozen: a new instance starts
 * frozen) or ServiceConfigChanged, caused by the sender's event.
 */
export async function receiveConfig(d: ReceiveDeps, svcName: string, raw: unknown, from: string): Promise<ReceiveResult> {
  let svc: string;
  try {
    svc = checkServiceName(svcName);
  } catch (e) {
    return { ok: false, status: 400, reason: (e as Error).message };
  }
  const parsed = parsePayload(raw, svc);
  if (!parsed.ok) return { ok: false, status: 400, reason: parsed.reason };
  const payload = parsed.payload;
  const f = serviceFiles(d.paths, svc);
  let incoming;
  try {
    incoming = validServiceConfig(payload.text, f.conf, svc, d.node);
  } catch (e) {
    return { ok: false, status: 422, reason: `config of ${svc} from ${from} is invalid on ${d.node}: ${(e as Error).message.split('\n').join('; ')}` };
  }
  const declared = new Set([...incoming.nodes, ...incoming.drpnodes]);
  if (!declared.has(d.node)) return { ok: false, status: 409, reason: `${d.node} is not in ${svc} nodes or drpnodes: refused by ${d.node}` };
  if (!declared.has(from)) return { ok: false, status: 409, reason: `${from} (the sender) is not in ${svc} nodes or drpnodes: refused by ${d.node}` };

  let currentText: string | undefined;
  try {
    currentText = fs.readFileSync(f.conf, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (currentText !== undefined && configChecksum(currentText) === payload.checksum) {
    const refused = writeFiles(d, svc, payload, false);
    return refused ?? { ok: true, result: 'unchanged', checksum: payload.checksum, node: d.node };
  }
  let currentDoc;
  if (currentText !== undefined) {
    const cur = parseDocument(currentText, f.conf);
    currentDoc = cur.ok ? cur.doc : undefined;
    try {
      const current = validServiceConfig(currentText, f.conf, svc, d.node);
      if (current.id !== incoming.id) {
        return { ok: false, status: 409, reason: `${svc} on ${d.node} has another id (${current.id}, sent ${incoming.id}): a different service of the same name, delete it there first` };
      }
      const avail = await availAppsExcluded(current, { nodename: d.node, paths: d.paths, driverFor: d.driverFor, signal: d.signal });
      if (avail === 'up') {
        return { ok: false, status: 409, reason: `${svc} is up on ${d.node}, apps excluded: its config is not replaced where it runs (change it on ${d.node}, or stop it there first)` };
      }
    } catch {
      /* the current config no longer validates here: the sent one, valid, replaces it */
    }
  }
  const refused = writeFiles(d, svc, payload, true);
  if (refused) return refused;
  const cause = payload.causation !== undefined ? { causation: payload.causation } : {};
  if (currentText === undefined) {
    setFrozen(d.paths, svc, true);
    const created = await d.sink.append({ type: 'ServiceCreated', svc, ...cause, data: { id: incoming.id, checksum: payload.checksum } });
    await d.sink.append({ type: 'InstanceFrozen', svc, causation: created.id, data: {} });
    return { ok: true, result: 'created', checksum: payload.checksum, node: d.node };
  }
  const next = parseDocument(payload.text, f.conf);
  const changed = currentDoc && next.ok ? changedKeywords(currentDoc, next.doc) : [];
  await d.sink.append({ type: 'ServiceConfigChanged', svc, ...cause, data: { changed: [...changed], checksum: payload.checksum } });
  return { ok: true, result: 'changed', checksum: payload.checksum, node: d.node };
}
