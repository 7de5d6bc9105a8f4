import path from 'node:path';
import { runCommand } from '../../exec.js';
import type { DriverLog } from '../driver.js';
import { findExecutable } from '../common/executable.js';

/**
 * Two unrelated programs are called arping: iputils' (the tutorial's, options
 * -I/-s/-D) and Thomas Habets' (Debian's `arping` package, options -i/-S, no
 * -D). Each gets its own argument spelling; the flavour is probed once.
 */
export type ArpingFlavour = 'iputils' | 'habets';

let probed: Promise<{ file: string; flavour: ArpingFlavour } | undefined> | undefined;

/** memoized for the process: not tied to one action's AbortSignal */
export function detectArping(): Promise<{ file: string; flavour: ArpingFlavour } | undefined> {
  probed ??= (async () => {
    const file = await findExecutable('arping');
    if (file === undefined) return undefined;
    const r = await runCommand([file, '--help'], { timeoutMs: 5000 });
    const text = `${r.stdout}\n${r.stderr}`;
    // shown as `arping` when PATH finds it, as the tutorial prints it
    const inPath = (process.env.PATH ?? '').split(':').includes(path.dirname(file));
    const cmd = inPath ? 'arping' : file;
    if (/Habets/i.test(text)) return { file: cmd, flavour: 'habets' as const };
    if (/iputils|-D\b.*duplicate/i.test(text)) return { file: cmd, flavour: 'iputils' as const };
    return undefined;
  })();
  return probed;
}

export type DadResult = 'free' | 'in use' | 'unknown';

/**
 * Duplicate address detection on the link (RFC 5227 probe, sender 0.0.0.0):
 * catches a holder that drops ICMP. 'unknown' when arping is missing or failed.
 */
export async function arpProbe(dev: string, addr: string, signal: AbortSignal): Promise<{ result: DadResult; detail: string }> {
  const a = await detectArping();
  if (a === undefined) return { result: 'unknown', detail: 'arping not found or not recognized' };
  if (a.flavour === 'iputils') {
    // -D: exit 0 when nobody answered, 1 when someone did. A holder on the link answers within
    // milliseconds: two probes within a second (a takeover waits on this check)
    const r = await runCommand([a.file, '-D', '-q', '-c', '2', '-w', '1', '-I', dev, addr], { signal, timeoutMs: 10_000 });
    if (r.exitCode === 0) return { result: 'free', detail: '' };
    if (r.exitCode === 1 && r.stderr.trim() === '') return { result: 'in use', detail: '' };
    return { result: 'unknown', detail: r.stderr.trim() || `exit ${r.exitCode}` };
  }
  // Habets: exit 0 when a reply came, 1 when none came or on error (then with a message)
  const r = await runCommand([a.file, '-q', '-0', '-c', '2', '-W', '0.5', '-w', '1', '-i', dev, addr], { signal, timeoutMs: 10_000 });
  if (r.exitCode === 0) return { result: 'in use', detail: '' };
  if (r.exitCode === 1 && r.stderr.trim() === '') return { result: 'free', detail: '' };
  return { result: 'unknown', detail: r.stderr.trim() || `exit ${r.exitCode}` };
}

/**
 * Gratuitous ARP so neighbours update their caches after a failover. Returns a
 * warning text when the announce could not be sent (never fatal).
 */
export async function arpAnnounce(
  dev: string,
  addr: string,
  signal: AbortSignal,
  log: DriverLog,
): Promise<string | undefined> {
  const a = await detectArping();
  if (a === undefined) return 'arping not found: neighbours were not told about the address';
  if (a.flavour === 'iputils') {
    const r = await runCommand([a.file, '-U', '-c', '1', '-I', dev, '-s', addr, addr], { signal, timeoutMs: 10_000, log });
    return r.exitCode === 0 ? undefined : `gratuitous arp failed, ret ${r.exitCode}`;
  }
  // Habets exits 1 when no reply comes, which is the normal case for an
  // unsolicited announce: only a message on stderr means it was not sent.
  // -w 0: sent, not waited on (it waited a second for a reply that never comes)
  const r = await runCommand([a.file, '-U', '-q', '-c', '1', '-w', '0', '-i', dev, '-S', addr, addr], { signal, timeoutMs: 10_000, log });
  return r.exitCode === 0 || (r.exitCode === 1 && r.stderr.trim() === '') ? undefined : `gratuitous arp failed, ret ${r.exitCode}`;
}
