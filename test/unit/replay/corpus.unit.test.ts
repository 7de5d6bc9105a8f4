import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { AnyEvent } from '../../../domain/events.js';
import { audit } from '../../../projections/audit.js';
import type { Applied } from '../../../projections/instances.js';

/**
 * The decision replay corpus: recorded logs (test/fixtures/logs/*.jsonl,
 * written by the scenarios that make them with HASVC_RECORD_FIXTURES=1)
 * replayed through today's projections and decide, each recorded
 * orchestrator decision compared with what the code decides now on what the
 * log held then. Adding a fixture is adding one file.
 */
const DIR = fileURLToPath(new URL('../../fixtures/logs/', import.meta.url));

interface Meta {
  readonly node: string;
  readonly readyPeriodMs: number;
  readonly about: string;
}

function load(file: string): { meta: Meta; events: Applied[] } {
  const [head, ...rest] = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const meta = (JSON.parse(head!) as { fixture: Meta }).fixture;
  const events = rest.map((l) => JSON.parse(l) as { streamSeq: number; event: AnyEvent });
  return { meta, events };
}

const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.jsonl')).sort();

describe('recorded logs replay into the same decisions', () => {
  it('the corpus is not empty', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const f of files) {
    it(f, () => {
      const { meta, events } = load(path.join(DIR, f));
      const report = audit(events, { node: meta.node, readyPeriodMs: meta.readyPeriodMs, configAt: () => ({ unusable: 'a fixture holds only the log' }) });
      const mine = report.decisions.filter((d) => d.node === meta.node);
      expect(mine.length).toBeGreaterThan(0);
      const off = mine.filter((d) => d.verdict !== 'same').map((d) => `${d.time} ${d.svc}: recorded ${d.recorded}; ${d.verdict}: ${d.now}`);
      expect(off).toEqual([]);
    });
  }
});
