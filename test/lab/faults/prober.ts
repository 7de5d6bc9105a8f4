import { readFileSync } from 'node:fs';
import http from 'node:http';

/**
 * The service as a client sees it: every `--every` ms, GET `--url` with a
 * short timeout, from the observer's own network namespace (never a node's),
 * one JSON line (a Probe) per try. The MAC its ARP cache holds for the
 * service address says which node answered. One request at a time: a try
 * still waiting when the next is due delays it. Stops when stdin closes.
 *
 *   ip netns exec hasvc-observer node prober.js --url http://10.199.0.42:8080/ --every 100 --timeout 400
 */

export interface Probe {
  /** when the request was sent (wall clock, ms) */
  readonly t: number;
  /** HTTP 200 with the expected page */
  readonly ok: boolean;
  /** how long the answer (or the failure) took */
  readonly ms: number;
  readonly error?: string;
  /** the hardware address this namespace's ARP cache holds for the host of the URL */
  readonly mac?: string;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** /proc/net/arp of this network namespace: `IP  HW type  Flags  HW address  Mask  Device`. */
function arpMac(ip: string): string | undefined {
  try {
    for (const line of readFileSync('/proc/net/arp', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // flags 0x0: an incomplete entry, no address yet
      if (f[0] === ip && f[2] !== '0x0') return f[3];
    }
  } catch {
    // no arp table: no MAC said
  }
  return undefined;
}

function get(url: string, timeoutMs: number, expect: string): Promise<Omit<Probe, 't' | 'ms' | 'mac'>> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode !== 200) resolve({ ok: false, error: `HTTP ${res.statusCode ?? '?'}` });
        else resolve(body.includes(expect) ? { ok: true } : { ok: false, error: `not the page: ${JSON.stringify(body.slice(0, 80))}` });
      });
      res.on('error', (e) => resolve({ ok: false, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ ok: false, error: e.message }));
  });
}

async function main(): Promise<void> {
  const url = arg('url') ?? 'http://10.199.0.42:8080/';
  const every = Number(arg('every') ?? 100);
  const timeoutMs = Number(arg('timeout') ?? 400);
  const expect = arg('expect') ?? 'It Works !';
  const host = new URL(url).hostname;
  let done = false;
  process.stdin.on('end', () => (done = true));
  process.stdin.resume();
  process.stdout.on('error', () => process.exit(0));
  while (!done) {
    const t = Date.now();
    const r = await get(url, timeoutMs, expect);
    const probe: Probe = { t, ms: Date.now() - t, ...r, mac: arpMac(host) };
    process.stdout.write(`${JSON.stringify(probe)}\n`);
    const wait = t + every - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  process.exit(0);
}

await main();
