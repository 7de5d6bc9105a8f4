import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { show } from '../../domain/config/show.js';
import { showName } from '../../domain/escape.js';
import { configChecksum } from '../config/checksum.js';
import { serviceFiles } from '../config/serviceFiles.js';
import type { NodePaths } from '../paths.js';

/** One launcher file of <svc>.dir, path relative to it. */
export interface LauncherFile {
  readonly path: string;
  readonly mode: number;
  /** base64 */
  readonly content: string;
}

/**
 * What <svc>.d is on the sender: a link to <svc>.dir, sent with its files;
 * a link elsewhere (a service filesystem: the tutorial moves the launchers
 * to /svc1/app/init.d), sent as the link only, the files travel with the
 * filesystem; or nothing to send.
 */
export type Launchers = { readonly kind: 'dir'; readonly files: readonly LauncherFile[] } | { readonly kind: 'link'; readonly target: string } | { readonly kind: 'none' };

/** The body of POST /services/<svc>/config. */
export interface ConfigPayload {
  readonly svc: string;
  /** <svc>.conf as written on the sender */
  readonly text: string;
  /** configChecksum(text): what ServiceCreated / ServiceConfigChanged carry */
  readonly checksum: string;
  readonly launchers: Launchers;
  /** sha256 over text and launchers: the peer writes nothing that arrived damaged */
  readonly digest: string;
  /** the sender's ServiceConfigSyncRequested event id */
  readonly causation?: string;
}

/** Launchers are scripts: a sync carrying more than this is refused rather than half sent. */
export const MAX_LAUNCHERS_BYTES = 8 * 1024 * 1024;
/** The largest request body the listener takes for a config push (base64 and JSON around the files). */
export const MAX_CONFIG_BODY_BYTES = 12 * 1024 * 1024;

export function payloadDigest(text: string, launchers: Launchers): string {
  return crypto.createHash('sha256').update(JSON.stringify([text, launchers]), 'utf8').digest('hex');
}

function readDirFiles(root: string): LauncherFile[] {
  const out: LauncherFile[] = [];
  let total = 0;
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) {
        const full = path.join(root, r);
        const content = fs.readFileSync(full);
        total += content.length;
        if (total > MAX_LAUNCHERS_BYTES) throw new Error(`${root} holds more than ${MAX_LAUNCHERS_BYTES} bytes: launchers only belong there`);
        out.push({ path: r, mode: fs.statSync(full).mode & 0o7777, content: content.toString('base64') });
      }
    }
  };
  walk('');
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** What <svc>.d is on this node, as sync sends it. */
export function readLaunchers(p: NodePaths, svc: string): Launchers {
  const f = serviceFiles(p, svc);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(f.launchers);
  } catch {
    return fs.existsSync(f.dir) && fs.statSync(f.dir).isDirectory() ? { kind: 'dir', files: readDirFiles(f.dir) } : { kind: 'none' };
  }
  if (!st.isSymbolicLink()) return { kind: 'none' };
  const target = fs.readlinkSync(f.launchers);
  if (path.resolve(p.etc, target) === f.dir && fs.existsSync(f.dir)) return { kind: 'dir', files: readDirFiles(f.dir) };
  return { kind: 'link', target };
}

export function buildPayload(p: NodePaths, svc: string, text: string): ConfigPayload {
  const launchers = readLaunchers(p, svc);
  return { svc, text, checksum: configChecksum(text), launchers, digest: payloadDigest(text, launchers) };
}

const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/** A launcher path that stays inside <svc>.dir. */
function safeRelative(p: string): boolean {
  return p !== '' && !p.startsWith('/') && p.split('/').every((x) => x !== '' && x !== '.' && x !== '..') && !p.includes('\0');
}

/**
 * Validate a received payload at the boundary; the reason is one line for
 * the sender's terminal. Any file mode up to 07777 is taken (the digest
 * covers it as sent); the receiver masks it when writing.
 */
export function parsePayload(raw: unknown, svc: string): { readonly ok: true; readonly payload: ConfigPayload } | { readonly ok: false; readonly reason: string } {
  const bad = (reason: string) => ({ ok: false as const, reason: `config of ${svc}: ${reason}` });
  if (typeof raw !== 'object' || raw === null) return bad('a JSON object is expected');
  const r = raw as Record<string, unknown>;
  if (r.svc !== svc) return bad(`the body names service ${typeof r.svc === 'string' ? showName(r.svc) : show(JSON.stringify(r.svc) ?? 'nothing')}, the path ${svc}`);
  if (!isStr(r.text, 1024 * 1024)) return bad('text must be the config file text');
  if (!isStr(r.checksum, 64) || !isStr(r.digest, 64)) return bad('checksum and digest are required');
  if (r.causation !== undefined && !isStr(r.causation, 256)) return bad('causation must be an event id');
  const l = r.launchers as Record<string, unknown> | undefined;
  let launchers: Launchers;
  if (typeof l !== 'object' || l === null) return bad('launchers is required');
  if (l.kind === 'none') launchers = { kind: 'none' };
  else if (l.kind === 'link' && isStr(l.target, 4096) && l.target !== '' && !l.target.includes('\0')) launchers = { kind: 'link', target: l.target };
  else if (l.kind === 'dir' && Array.isArray(l.files) && l.files.length <= 10_000) {
    const files: LauncherFile[] = [];
    for (const x of l.files as unknown[]) {
      const f = x as Record<string, unknown>;
      if (typeof f !== 'object' || f === null || !isStr(f.path, 4096) || !safeRelative(f.path) || typeof f.mode !== 'number' || !Number.isInteger(f.mode) || f.mode < 0 || f.mode > 0o7777 || !isStr(f.content, MAX_CONFIG_BODY_BYTES)) {
        return bad('launchers.files: each file needs a relative path inside the launcher directory, a mode and a content');
      }
      files.push({ path: f.path, mode: f.mode, content: f.content });
    }
    launchers = { kind: 'dir', files };
  } else return bad('launchers.kind must be dir, link or none');
  if (configChecksum(r.text) !== r.checksum) return bad('checksum does not match the text: nothing written');
  if (payloadDigest(r.text, launchers) !== r.digest) return bad('digest does not match the files: nothing written');
  return { ok: true, payload: { svc, text: r.text, checksum: r.checksum, launchers, digest: r.digest, ...(r.causation !== undefined ? { causation: r.causation } : {}) } };
}
