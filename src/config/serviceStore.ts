import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { changedKeywords } from '../../domain/config/diff.js';
import { emptyDocument, getValue, parseDocument, serializeDocument, setValue, type IniDocument } from '../../domain/config/document.js';
import { checkServiceDocument } from '../../domain/config/service.js';
import type { ServiceConfig } from '../../domain/config/types.js';
import { ConfigError, ConflictError, NotFoundError } from '../../domain/errors.js';
import type { NodePaths } from '../paths.js';
import { writeFileAtomic } from './atomicWrite.js';
import { configChecksum } from './checksum.js';
import { nodename } from './identity.js';
import { checkServiceName, serviceFiles } from './serviceFiles.js';

export interface ServiceText {
  readonly file: string;
  readonly text: string;
  readonly doc: IniDocument;
}

function readText(file: string, svc: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`service ${svc} does not exist (no ${file})`, { cause: e });
    throw e;
  }
}

/** The service config file as written, even when it no longer parses; NotFoundError when the service does not exist. */
export function readServiceText(p: NodePaths, svc: string): { readonly file: string; readonly text: string } {
  const file = serviceFiles(p, checkServiceName(svc)).conf;
  return { file, text: readText(file, svc) };
}

/** The service config file as a document; ConfigError when it can't be read as INI. */
export function readServiceDocument(p: NodePaths, svc: string): ServiceText {
  const file = serviceFiles(p, checkServiceName(svc)).conf;
  const text = readText(file, svc);
  const parsed = parseDocument(text, file);
  if (!parsed.ok) throw new ConfigError(parsed.problems);
  return { file, text, doc: parsed.doc };
}

/**
 * The typed config of a service (what the action engine, drivers and status
 * use): references expanded for this node, defaults applied, the implicit
 * sync#i0 appended. NotFoundError when the service does not exist,
 * ConfigError listing every problem when its file is invalid.
 */
export async function loadServiceConfig(p: NodePaths, svc: string, env: NodeJS.ProcessEnv = process.env): Promise<ServiceConfig> {
  const file = serviceFiles(p, checkServiceName(svc)).conf;
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`service ${svc} does not exist (no ${file})`, { cause: e });
    throw e;
  }
  return validServiceConfig(text, file, svc, nodename(env));
}

/** Check a service config text; ConfigError when invalid. */
export function validServiceConfig(text: string, file: string, svc: string, node: string): ServiceConfig {
  const parsed = parseDocument(text, file);
  if (!parsed.ok) throw new ConfigError(parsed.problems);
  const c = checkServiceDocument(parsed.doc, { svcname: svc, nodename: node });
  if (!c.ok) throw new ConfigError(c.problems);
  return c.config;
}

/** A new service id. */
export function newServiceId(): string {
  return crypto.randomUUID();
}

/**
 * A service config always has an id: an edit that drops it gets the previous
 * one back (on top of DEFAULT), so the service keeps its identity.
 */
export function ensureId(doc: IniDocument, previous: string | undefined): IniDocument {
  if (getValue(doc, 'DEFAULT', 'id') !== undefined) return doc;
  return setValue(doc, 'DEFAULT', 'id', previous ?? newServiceId(), { first: true });
}

export interface CreateServiceOptions {
  readonly svcmgrPath: string;
  readonly env: NodeJS.ProcessEnv;
  /** the starting document (create --config FILE); an empty one otherwise */
  readonly from?: IniDocument;
  /** edits applied after the id is set (create --kw) */
  readonly edit?: (doc: IniDocument) => IniDocument;
}

export interface WrittenConfig {
  readonly file: string;
  readonly text: string;
  readonly checksum: string;
}

function ensureSymlink(link: string, target: string): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(link);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (st === undefined) {
    fs.symlinkSync(target, link);
    return;
  }
  if (!st.isSymbolicLink()) throw new ConflictError(`${link} exists and is not a symlink: move it away first`);
  if (fs.readlinkSync(link) === target) return;
  const tmp = `${link}.${process.pid}.tmp`;
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(target, tmp);
  fs.renameSync(tmp, link);
}

/**
 * Create a service: <svc>.dir, <svc>.d -> <svc>.dir, <svc> -> svcmgr, then
 * <svc>.conf with a generated id, last and exclusively, so the config file
 * existing means the service exists and two racing creates can't both win.
 */
export function createService(p: NodePaths, svc: string, o: CreateServiceOptions): WrittenConfig & { readonly id: string } {
  const f = serviceFiles(p, checkServiceName(svc));
  if (fs.existsSync(f.conf)) throw new ConflictError(`service ${svc} already exists (${f.conf}): delete it first or use set/edit config`);
  const id = newServiceId();
  const base = o.from ?? emptyDocument(f.conf);
  const doc = (o.edit ?? ((d: IniDocument) => d))(setValue(base, 'DEFAULT', 'id', id, { first: true }));
  const c = checkServiceDocument(doc, { svcname: svc, nodename: nodename(o.env) });
  if (!c.ok) throw new ConfigError(c.problems);
  const text = serializeDocument({ ...doc, file: f.conf });
  fs.mkdirSync(p.etc, { recursive: true });
  fs.mkdirSync(f.dir, { recursive: true, mode: 0o755 });
  if (!fs.existsSync(f.launchers)) ensureSymlink(f.launchers, path.basename(f.dir));
  ensureSymlink(f.link, o.svcmgrPath);
  try {
    writeFileAtomic(f.conf, text, { mode: 0o644, exclusive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new ConflictError(`service ${svc} already exists (${f.conf})`, { cause: e });
    throw e;
  }
  return { file: f.conf, text, checksum: configChecksum(text), id };
}

/**
 * Remove a service's files: the config first (the service no longer exists
 * even if a later step fails), the launcher link, the launcher directory and
 * the svcmgr symlink. A <svc>.d pointing elsewhere (moved to a service
 * filesystem, as the tutorial does) loses only the link, never its target.
 */
export function deleteServiceFiles(p: NodePaths, svc: string): string[] {
  const f = serviceFiles(p, checkServiceName(svc));
  const removed: string[] = [];
  const gone = (x: string) => {
    try {
      fs.lstatSync(x);
      return false;
    } catch {
      return true;
    }
  };
  if ([f.conf, f.dir, f.launchers, f.link].every(gone)) throw new NotFoundError(`service ${svc} does not exist (no ${f.conf})`);
  if (!gone(f.conf)) {
    fs.rmSync(f.conf);
    removed.push(f.conf);
  }
  for (const link of [f.launchers, f.link]) {
    if (!gone(link) && fs.lstatSync(link).isSymbolicLink()) {
      fs.unlinkSync(link);
      removed.push(link);
    }
  }
  if (!gone(f.dir)) {
    fs.rmSync(f.dir, { recursive: true, force: true });
    removed.push(f.dir);
  }
  // the instance's local state (frozen flag, status cache) goes with it
  const state = path.join(p.var, 'services', svc);
  if (!gone(state)) {
    fs.rmSync(state, { recursive: true, force: true });
    removed.push(state);
  }
  return removed;
}

export interface UpdateResult extends WrittenConfig {
  /** `section.key` of every keyword added, changed or removed; empty when nothing changed */
  readonly changed: readonly string[];
}

/**
 * Change a service config through its document, keeping comments and order.
 * The result is validated in full before anything is written: a refused
 * change leaves the file exactly as it was. The write is atomic and keeps
 * the file's mode; a concurrent change of the file is refused, not lost.
 */
export function updateService(p: NodePaths, svc: string, env: NodeJS.ProcessEnv, edit: (doc: IniDocument) => IniDocument): UpdateResult {
  const cur = readServiceDocument(p, svc);
  const next = ensureId(edit(cur.doc), getValue(cur.doc, 'DEFAULT', 'id'));
  const changed = changedKeywords(cur.doc, next);
  if (changed.length === 0) return { file: cur.file, text: cur.text, checksum: configChecksum(cur.text), changed };
  return writeServiceText(cur, serializeDocument(next), svc, env);
}

/**
 * Validate and write a new text for a service whose current text is `cur`.
 * What is validated is the text itself, parsed again: the file written is
 * exactly the one checked.
 */
export function writeServiceText(cur: ServiceText, text: string, svc: string, env: NodeJS.ProcessEnv): UpdateResult {
  const parsed = parseDocument(text, cur.file);
  if (!parsed.ok) throw new ConfigError(parsed.problems);
  const c = checkServiceDocument(parsed.doc, { svcname: svc, nodename: nodename(env) });
  if (!c.ok) throw new ConfigError(c.problems);
  const now = fs.readFileSync(cur.file, 'utf8');
  if (now !== cur.text) throw new ConflictError(`${cur.file} was changed by someone else meanwhile: nothing written, try again`);
  writeFileAtomic(cur.file, text);
  return { file: cur.file, text, checksum: configChecksum(text), changed: changedKeywords(cur.doc, parsed.doc) };
}
