import fs from 'node:fs';
import path from 'node:path';
import type { ResourceDriver } from '../../adapters/resources/driver.js';
import { changedKeywords } from '../../domain/config/diff.js';
import { parseDocument } from '../../domain/config/document.js';
import { configForLog } from '../../domain/config/logged.js';
import { show } from '../../domain/config/show.js';
import { kwString, type ResourceConfig } from '../../domain/config/types.js';
import { ConfigError } from '../../domain/errors.js';
import { showName, showPath } from '../../domain/escape.js';
import { launcherLinkRefusal, maskLauncherMode, octal } from '../../domain/sync/launchers.js';
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
  | {
      readonly ok: true;
      readonly result: 'created' | 'changed' | 'unchanged';
      readonly checksum: string;
      readonly node: string;
      /** what was written otherwise than sent (a launcher mode masked), one line each, for the log and the sender */
      readonly notes: readonly string[];
    }
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

function lstatOrNone(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    // ENOTDIR: a file where a directory is expected, reported on that file
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** Why this node's p is in the way of a pushed directory or file, or undefined. */
function inTheWay(p: string, want: 'dir' | 'file'): string | undefined {
  const st = lstatOrNone(p);
  if (st === undefined) return undefined;
  if (st.isSymbolicLink()) return `${showPath(p)} is a symlink (to ${showPath(fs.readlinkSync(p))}): a sync never writes through a link, remove it on this node first`;
  if (want === 'dir' && !st.isDirectory()) return `${showPath(p)} is not a directory: move it away first`;
  if (want === 'file' && st.isDirectory()) return `${showPath(p)} is a directory where a launcher file is sent: move it away first`;
  return undefined;
}

/**
 * Every path a dir push writes, checked before anything is written:
 * <svc>.dir and each directory on the way are real directories, no file to
 * replace is a symlink. Refused rather than replaced: a link there is this
 * node's admin's, and following it would have root write wherever it points.
 */
function checkLauncherPaths(dir: string, rels: readonly string[]): void {
  const problems = new Set<string>();
  const seen = new Set<string>();
  const check = (p: string, want: 'dir' | 'file') => {
    if (seen.has(p)) return;
    seen.add(p);
    const why = inTheWay(p, want);
    if (why !== undefined) problems.add(why);
  };
  check(dir, 'dir');
  for (const rel of rels) {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) check(path.join(dir, ...parts.slice(0, i)), 'dir');
    check(path.join(dir, ...parts), 'file');
  }
  if (problems.size > 0) throw new ConfigError([...problems]);
}

/** A directory of <svc>.dir made one level at a time: mkdir never follows a link, an existing one is checked again. */
function ensureDir(p: string): void {
  try {
    fs.mkdirSync(p, { mode: 0o755 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const why = inTheWay(p, 'dir');
    if (why !== undefined) throw new ConfigError([why]);
  }
}

/**
 * A launcher replaced whole (temp + rename): a script never runs half
 * written. The temp file is created O_EXCL|O_NOFOLLOW and its mode set on
 * the open descriptor: nothing planted at that name is written through; the
 * rename replaces a name, it never follows one.
 */
function writeLauncher(file: string, data: Buffer, mode: number): void {
  const why = inTheWay(file, 'file');
  if (why !== undefined) throw new ConfigError([why]);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.sync.tmp`);
  fs.rmSync(tmp, { force: true });
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  try {
    try {
      fs.writeFileSync(fd, data);
      fs.fchmodSync(fd, mode);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Writes the launchers; returns what was changed on the way (modes masked), one line each. */
function writeLaunchers(p: NodePaths, svc: string, payload: ConfigPayload): string[] {
  const f = serviceFiles(p, svc);
  const l = payload.launchers;
  switch (l.kind) {
    case 'none':
      return [];
    case 'link':
      ensureSymlink(f.launchers, l.target);
      return [];
    case 'dir': {
      checkLauncherPaths(f.dir, l.files.map((x) => x.path));
      const notes: string[] = [];
      ensureDir(f.dir);
      for (const file of l.files) {
        const parts = file.path.split('/');
        for (let i = 1; i < parts.length; i++) ensureDir(path.join(f.dir, ...parts.slice(0, i)));
        const masked = maskLauncherMode(file.mode);
        if (masked.dropped.length > 0) notes.push(`launcher ${show(`${svc}.dir/${file.path}`)}: mode ${octal(file.mode)} masked to ${octal(masked.mode)} (${masked.dropped.join(', ')} dropped)`);
        writeLauncher(path.join(f.dir, ...parts), Buffer.from(file.content, 'base64'), masked.mode);
      }
      ensureSymlink(f.launchers, path.basename(f.dir));
      return notes;
    }
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
function writeFiles(d: ReceiveDeps, svc: string, payload: ConfigPayload, conf: boolean): { readonly ok: false; readonly status: number; readonly reason: string } | { readonly ok: true; readonly notes: readonly string[] } {
  const f = serviceFiles(d.paths, svc);
  try {
    fs.mkdirSync(d.paths.etc, { recursive: true });
    const notes = writeLaunchers(d.paths, svc, payload);
    ensureSymlink(f.link, d.svcmgrPath);
    if (conf) writeFileAtomic(f.conf, payload.text, { mode: 0o644 });
    return { ok: true, notes };
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
 *    there, never overwritten from a passive node;
 *  - a <svc>.d link pointing outside the service's <svc>.dir and its
 *    filesystems' mount points (403): root would run what it finds there;
 *  - launchers that would be written through a symlink this node has in
 *    <svc>.dir (409).
 * Launcher modes are masked to 0755 (no setuid, setgid, sticky, group or
 * other write), said in the result's notes.
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
  if (!declared.has(from)) return { ok: false, status: 409, reason: `${showName(from)} (the sender) is not in ${svc} nodes or drpnodes: refused by ${d.node}` };

  if (payload.launchers.kind === 'link') {
    const mnts = incoming.resources.filter((r) => r.driver === 'fs').map((r) => kwString(r, 'mnt') ?? '');
    const why = launcherLinkRefusal(payload.launchers.target, { etc: d.paths.etc, dir: f.dir, mnts });
    if (why !== undefined) return { ok: false, status: 403, reason: `${svc}.d -> ${showPath(payload.launchers.target)} refused by ${d.node}, nothing written: ${why}` };
  }

  let currentText: string | undefined;
  try {
    currentText = fs.readFileSync(f.conf, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (currentText !== undefined && configChecksum(currentText) === payload.checksum) {
    const written = writeFiles(d, svc, payload, false);
    return written.ok ? { ok: true, result: 'unchanged', checksum: payload.checksum, node: d.node, notes: written.notes } : written;
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
  const written = writeFiles(d, svc, payload, true);
  if (!written.ok) return written;
  const cause = payload.causation !== undefined ? { causation: payload.causation } : {};
  if (currentText === undefined) {
    setFrozen(d.paths, svc, true);
    const created = await d.sink.append({ type: 'ServiceCreated', svc, ...cause, data: { id: incoming.id, checksum: payload.checksum, text: configForLog(payload.text) } });
    await d.sink.append({ type: 'InstanceFrozen', svc, causation: created.id, data: {} });
    return { ok: true, result: 'created', checksum: payload.checksum, node: d.node, notes: written.notes };
  }
  const next = parseDocument(payload.text, f.conf);
  const changed = currentDoc && next.ok ? changedKeywords(currentDoc, next.doc) : [];
  await d.sink.append({ type: 'ServiceConfigChanged', svc, ...cause, data: { changed: [...changed], checksum: payload.checksum, text: configForLog(payload.text) } });
  return { ok: true, result: 'changed', checksum: payload.checksum, node: d.node, notes: written.notes };
}
