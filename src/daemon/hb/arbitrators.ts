import http from 'node:http';
import https from 'node:https';
import type { ArbitratorConfig } from '../../../domain/config/node.js';
import type { DaemonLogger } from '../log.js';
import type { ThreadTable } from '../threads.js';

/**
 * The arbitrators of the config ([arbitrator#N] uri = http(s)://...): each
 * asked every `everyMs` with a GET; any HTTP answer within its timeout is
 * its vote for this side. svcmon shows each as a thread line, `running`
 * while it answers.
 */
export class Arbitrators {
  private readonly reachedBy = new Map<string, boolean>();
  private conf: readonly ArbitratorConfig[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly o: { readonly threads: ThreadTable; readonly log: DaemonLogger; readonly everyMs: number; readonly onChange: () => void }) {}

  start(): void {
    this.timer = setInterval(() => void this.probeAll(), this.o.everyMs);
    this.timer.unref();
  }

  set(conf: readonly ArbitratorConfig[]): void {
    const was = JSON.stringify(this.conf);
    this.conf = conf;
    if (JSON.stringify(conf) === was) return;
    for (const rid of [...this.reachedBy.keys()]) {
      if (conf.some((a) => a.rid === rid)) continue;
      this.reachedBy.delete(rid);
      this.o.threads.delete(rid);
    }
    void this.probeAll();
  }

  get total(): number {
    return this.conf.length;
  }

  get reached(): number {
    return this.conf.filter((a) => this.reachedBy.get(a.rid) === true).length;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
  }

  private async probeAll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const results = await Promise.all(this.conf.map(async (a) => [a, await answers(a)] as const));
      let changed = false;
      for (const [a, ok] of results) {
        if (this.reachedBy.get(a.rid) !== ok) {
          changed = true;
          this.o.log.info({ arbitrator: a.rid, uri: a.uri, reached: ok }, ok ? 'arbitrator reached' : 'arbitrator not reached');
        }
        this.reachedBy.set(a.rid, ok);
        this.o.threads.set(a.rid, ok ? 'running' : 'failed', { address: a.uri, ...(ok ? {} : { detail: 'no answer' }) });
      }
      if (changed) this.o.onChange();
    } finally {
      this.busy = false;
    }
  }
}

/** Any HTTP answer within the timeout. */
function answers(a: ArbitratorConfig): Promise<boolean> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(a.uri);
    } catch {
      resolve(false);
      return;
    }
    const get = u.protocol === 'https:' ? https.get : http.get;
    const req = get(u, { timeout: a.timeout * 1000, agent: false, ...(u.protocol === 'https:' ? { rejectUnauthorized: !a.insecure } : {}) }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
  });
}
