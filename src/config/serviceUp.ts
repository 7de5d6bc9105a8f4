import dns from 'node:dns/promises';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { findSection, getValue, type IniDocument } from '../../domain/config/document.js';
import { expandReferences } from '../../domain/config/references.js';
import { runCommand } from '../../adapters/exec.js';
import type { NodePaths } from '../paths.js';
import { nodename } from './identity.js';
import { readServiceDocument } from './serviceStore.js';

/** What the system says; injectable so the decision is testable without mounts or addresses. */
export interface UpProbes {
  /** the text of /proc/self/mounts */
  mounts(): Promise<string>;
  /** the output of `ip -o addr` */
  addresses(): Promise<string>;
  /** the addresses an ipname resolves to */
  resolve(name: string): Promise<string[]>;
}

export const systemProbes: UpProbes = {
  mounts: () => fs.readFile('/proc/self/mounts', 'utf8'),
  addresses: async () => {
    try {
      const r = await runCommand(['ip', '-o', 'addr'], { timeoutMs: 10_000 });
      return r.exitCode === 0 ? r.stdout : '';
    } catch {
      return '';
    }
  },
  resolve: async (name) => {
    if (net.isIP(name) !== 0) return [name];
    try {
      return (await dns.lookup(name, { all: true })).map((a) => a.address);
    } catch {
      return [];
    }
  },
};

/** Mount points of /proc/self/mounts, octal escapes (\040 for a space) decoded. */
export function mountPoints(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const field = line.split(' ')[1];
    if (field) out.add(field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

/** The addresses of `ip -o addr` lines (`2: eth0    inet 192.168.121.42/24 ...`). */
export function plumbedAddresses(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/\binet6?\s+([0-9A-Fa-f.:]+)\//g)) out.add(m[1]!.toLowerCase());
  return out;
}

function values(doc: IniDocument, driver: string, key: string, vars: Record<string, string>): string[] {
  const envSection = findSection(doc, 'env');
  const env: Record<string, string> = {};
  if (envSection) for (const l of envSection.body) if (l.kind === 'keyword') env[l.key] = l.value;
  return doc.sections
    .filter((s) => s.name.startsWith(`${driver}#`))
    .map((s) => getValue(doc, s.name, key))
    .filter((v): v is string => v !== undefined && v !== '')
    .map((v) => {
      const x = expandReferences(v, { vars, env });
      return x.ok ? x.value : v;
    });
}

/**
 * Is the service up on this node, as far as deleting it is concerned: one
 * of its fs mount points is mounted, or one of its ip addresses is plumbed.
 * Read from the raw document so even a service whose config no longer
 * validates is protected.
 */
export async function isServiceUp(p: NodePaths, svc: string, env: NodeJS.ProcessEnv = process.env, probes: UpProbes = systemProbes): Promise<boolean> {
  return (await serviceUpReason(p, svc, env, probes)) !== undefined;
}

/** Why the service is up (`/svc1/app is mounted`), or undefined when it is not. */
export async function serviceUpReason(p: NodePaths, svc: string, env: NodeJS.ProcessEnv = process.env, probes: UpProbes = systemProbes): Promise<string | undefined> {
  const { doc } = readServiceDocument(p, svc);
  const vars = { nodename: nodename(env), svcname: svc, svcpath: svc };
  const mnts = values(doc, 'fs', 'mnt', vars);
  if (mnts.length > 0) {
    const mounted = mountPoints(await probes.mounts());
    const m = mnts.find((x) => mounted.has(path.resolve(x)));
    if (m !== undefined) return `${m} is mounted`;
  }
  const names = values(doc, 'ip', 'ipname', vars);
  if (names.length > 0) {
    const plumbed = plumbedAddresses(await probes.addresses());
    for (const n of names) {
      const addrs = await probes.resolve(n);
      const a = addrs.find((x) => plumbed.has(x.toLowerCase()));
      if (a !== undefined) return `${a === n ? a : `${n} (${a})`} is plumbed`;
    }
  }
  return undefined;
}
