import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { cmd } from './host.js';
import { runIn, type LabInfo, type LabNode } from './lab.js';

/**
 * What the walk checks on the system itself, beside what the commands print:
 * addresses, mounts and web server of a node, the SAN's VG tags, and the events
 * a node recorded.
 */

/** IPv4 addresses (with prefix) on dev in node: ['10.199.0.11/24', '10.199.0.42/24']. */
export async function addressesOn(node: LabNode, dev: string): Promise<string[]> {
  const r = await runIn(node, ['ip', '-o', '-4', 'addr', 'show', 'dev', dev]);
  if (r.exitCode !== 0) throw new Error(`${node}: ip addr show dev ${dev}: ${r.stderr}`);
  return [...r.stdout.matchAll(/ inet (\S+)/g)].map((m) => m[1] ?? '');
}

export interface Mount {
  readonly source: string;
  readonly target: string;
  readonly fstype: string;
}

/** The node's mount table, from its /proc/self/mounts. */
export async function mountsIn(node: LabNode): Promise<Mount[]> {
  const r = await runIn(node, ['cat', '/proc/self/mounts']);
  if (r.exitCode !== 0) throw new Error(`${node}: cat /proc/self/mounts: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .map((l) => l.split(' '))
    .map(([source = '', target = '', fstype = '']) => ({ source, target, fstype }));
}

/** Mounts in node of the lab's service disks (the SAN's loop devices). */
export async function serviceMountsIn(info: LabInfo, node: LabNode): Promise<Mount[]> {
  const devs = new Set([info.appDev, info.dataDev, info.pvDev]);
  return (await mountsIn(node)).filter((m) => devs.has(m.source));
}

/** Tags of the VG: the names of the nodes that hold it (`vgs -o tags`). */
export async function vgTags(vg: string): Promise<string[]> {
  const r = await cmd(['vgs', '--noheadings', '-o', 'tags', vg]);
  if (r.exitCode !== 0) throw new Error(`vgs -o tags ${vg}: ${r.stderr}`);
  return r.stdout
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

/** The lab's webserver (python3 http.server on 8080) runs in node's network namespace. */
export async function webServerRunning(node: LabNode): Promise<boolean> {
  const r = await runIn(node, ['sh', '-c', 'pgrep --ns $$ --nslist net -f "http\\.server 8080 "']);
  return r.exitCode === 0;
}

export const PAGE_URL = 'http://svc1.opensvc.com:8080/';
export const PAGE = '<html><body>It Works !</body></html>';

/** python3 rather than the tutorial's wget: setup installs python3, not wget. */
export const FETCH_ARGV = [
  'python3',
  '-c',
  "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode())",
  PAGE_URL,
] as const;

export interface RecordedEvent {
  readonly id: string;
  readonly type: string;
  readonly origin: string;
  readonly seq: number;
  readonly svc?: string;
  readonly rid?: string;
  readonly causation?: string;
  /** when it happened (ISO 8601, the origin's clock) */
  readonly time?: string;
  readonly data: Record<string, unknown>;
}

/**
 * The events node recorded in its spool (<OSVCVAR>/spool/events.jsonl): where
 * the CLI appends when no NATS server runs, which is the case until the daemon
 * is started. Read from the host, through the node's bound var dir.
 */
export function spoolEvents(info: LabInfo, node: LabNode): RecordedEvent[] {
  const file = path.join(info.nodes[node].var, 'spool', 'events.jsonl');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RecordedEvent);
}

/** The last sequence number node recorded: events after it are the next command's. */
export function lastSeq(events: readonly RecordedEvent[]): number {
  return events.reduce((m, e) => Math.max(m, e.seq), 0);
}

interface EventsPage {
  readonly events?: readonly { readonly streamSeq: number; readonly event: RecordedEvent }[];
  /** another page follows (GET /events pages through the whole log) */
  readonly more?: boolean;
}

function getJson(socketPath: string, urlPath: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: urlPath, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${urlPath} on ${socketPath}: ${res.statusCode ?? '?'} ${body}`));
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath} on ${socketPath}: timed out`)));
    req.on('error', reject);
  });
}

/**
 * The events in node's stream once its daemon runs (the CLI appends there and
 * the daemon drained the spool into it): the daemon's `GET /events`, asked on
 * its unix socket, <OSVCVAR>/lsnr/h2.sock, reached from the host through the
 * node's bound var dir.
 */
export async function daemonEvents(info: LabInfo, node: LabNode): Promise<RecordedEvent[]> {
  const socketPath = path.join(info.nodes[node].var, 'lsnr', 'h2.sock');
  const out: RecordedEvent[] = [];
  let since = 0;
  for (;;) {
    const page = (await getJson(socketPath, `/events?since=${since}&limit=5000`)) as EventsPage;
    const events = page.events ?? [];
    for (const e of events) {
      out.push(e.event);
      since = Math.max(since, e.streamSeq);
    }
    if (page.more !== true || events.length === 0) return out;
  }
}
