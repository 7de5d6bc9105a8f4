import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { StoredEvent } from '../../adapters/nats/eventStore.js';
import { benchNode, percentile, repoRoot, rssKb, type BenchNode } from './daemon.bench.js';
import type { BenchResult } from './report.js';

const CHROMIUM = '/usr/bin/chromium';

function listenerPort(node: BenchNode): number {
  const m = /\[listener\][^[]*?port = (\d+)/.exec(fs.readFileSync(path.join(node.root, 'etc/opensvc/node.conf'), 'utf8'));
  if (!m) throw new Error('bench: no listener port in node.conf');
  return Number(m[1]);
}

function getJson<T>(port: number, p: string): Promise<T> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as T) : reject(new Error(`GET ${p}: ${res.statusCode} ${body}`))));
      })
      .on('error', reject);
  });
}

/** A follower of /web/api/live that counts the frames it reads. */
function sseClient(port: number): Promise<{ frames: () => number; close: () => void }> {
  return new Promise((resolve, reject) => {
    let frames = 0;
    const req = http.get({ host: '127.0.0.1', port, path: '/web/api/live', agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET /web/api/live: ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        frames += c.split('\n\n').length - 1;
        if (frames === 1) resolve({ frames: () => frames, close: () => req.destroy() });
      });
    });
    req.on('error', (e) => (frames === 0 ? reject(e) : undefined));
  });
}

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The web view with `services` services: the page's first load in Chromium
 * until the services table is drawn, the time from an event's append (its
 * time in the log) to the page's DOM showing it, and the daemon's RSS with
 * `clients` pages following it live (raw SSE clients).
 */
export async function benchWeb(services: number, loads: number, samples: number, clients: number, settleMs: number): Promise<BenchResult[]> {
  const node = await benchNode(repoRoot(), services);
  const out: BenchResult[] = [];
  try {
    const port = listenerPort(node);
    // read at the next request: no restart
    fs.appendFileSync(path.join(node.root, 'etc/opensvc/node.conf'), '\n[web]\nenable = true\n');
    await until('the web view on', async () => (await getJson<{ node: string }>(port, '/web/api/session').catch(() => undefined)) !== undefined, 10_000);
    await new Promise((r) => setTimeout(r, settleMs));

    // RSS with pages following the node, an event pushed to each; each figure the median of a few reads (the heap breathes)
    const rss = async () => {
      const xs: number[] = [];
      for (let i = 0; i < 5; i++) {
        xs.push(rssKb(node.daemonPid()));
        await new Promise((r) => setTimeout(r, 200));
      }
      return percentile(xs, 50);
    };
    const idle = await rss();
    const followers = await Promise.all(Array.from({ length: clients }, () => sseClient(port)));
    const before = followers.map((f) => f.frames());
    await node.cli('svcmgr', ['-s', 'svc1', 'freeze', '--local']);
    await until('the freeze pushed to every follower', () => followers.every((f, i) => f.frames() >= before[i]! + 2), 10_000);
    const busy = await rss();
    for (const f of followers) f.close();
    out.push({ name: `daemon RSS, ${services} services, no page open`, unit: 'MB', ours: idle / 1024 });
    out.push({ name: `daemon RSS with ${clients} pages following live (SSE), an event pushed`, unit: 'MB', ours: busy / 1024 });
    out.push({ name: `RSS cost per live page (${clients} pages)`, unit: 'KB', ours: (busy - idle) / clients });

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
    try {
      // first load: a new profile each time (nothing cached), from the navigation's start to the services table drawn, as the page's clock says
      const times: number[] = [];
      for (let i = 0; i < loads; i++) {
        const ctx = await browser.newContext();
        const page = await ctx.newPage();
        await page.addInitScript((n) => {
          const w = window as unknown as { drawnAt?: number };
          new MutationObserver((_m, obs) => {
            if (document.querySelectorAll('#services tr[data-svc]').length === n) {
              w.drawnAt = performance.now();
              obs.disconnect();
            }
          }).observe(document, { childList: true, subtree: true });
        }, services);
        await page.goto(`http://127.0.0.1:${port}/web/`);
        await page.waitForFunction(() => (window as unknown as { drawnAt?: number }).drawnAt !== undefined, undefined, { timeout: 30_000 });
        times.push(await page.evaluate(() => (window as unknown as { drawnAt: number }).drawnAt));
        await ctx.close();
      }
      out.push({ name: `web page first load, ${services} services drawn (p50, ${loads} loads)`, unit: 'ms', ours: percentile(times, 50) });
      out.push({ name: `web page first load, ${services} services drawn (p95, ${loads} loads)`, unit: 'ms', ours: percentile(times, 95) });

      // event to page: each freeze / thaw from the CLI, from its time in the log to the cell's change in the DOM
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/web/`);
      await page.waitForSelector('#services td.cell[data-svc=svc1][data-node=node1]');
      await page.evaluate(() => {
        const w = window as unknown as { changes: { t: number; frozen: string }[] };
        w.changes = [];
        let last = document.querySelector<HTMLElement>('#services td.cell[data-svc=svc1][data-node=node1]')?.dataset.frozen;
        new MutationObserver(() => {
          const now = document.querySelector<HTMLElement>('#services td.cell[data-svc=svc1][data-node=node1]')?.dataset.frozen;
          if (now !== last) w.changes.push({ t: Date.now(), frozen: String(now) });
          last = now;
        }).observe(document.querySelector('#services')!, { childList: true, subtree: true, attributes: true });
      });
      let frozen = true;
      for (let i = 0; i < samples; i++) {
        frozen = !frozen;
        await node.cli('svcmgr', ['-s', 'svc1', frozen ? 'freeze' : 'thaw', '--local']);
        await page.waitForFunction((n) => (window as unknown as { changes: unknown[] }).changes.length === n, i + 1, { timeout: 10_000 });
      }
      const changes = await page.evaluate(() => (window as unknown as { changes: { t: number }[] }).changes);
      const page2 = await getJson<{ events: StoredEvent[] }>(port, '/web/api/events?svc=svc1&type=InstanceFrozen,InstanceThawed&limit=2000');
      const events = page2.events.slice(-samples);
      const latencies = changes.map((c, i) => c.t - Date.parse(events[i]!.event.time));
      out.push({ name: `event to page latency p50 (${samples} freeze/thaw from the CLI)`, unit: 'ms', ours: percentile(latencies, 50) });
      out.push({ name: `event to page latency p95 (${samples} freeze/thaw from the CLI)`, unit: 'ms', ours: percentile(latencies, 95) });
    } finally {
      await browser.close();
    }
  } finally {
    await node.close();
  }
  return out;
}
