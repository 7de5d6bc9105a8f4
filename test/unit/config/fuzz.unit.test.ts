import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { getValue, parseDocument, serializeDocument, setValue } from '../../../domain/config/document.js';
import { checkNodeConfig } from '../../../domain/config/node.js';
import { checkServiceConfig, parseServiceConfig } from '../../../domain/config/service.js';
import { ConfigError } from '../../../domain/errors.js';
import { TUTORIAL_APP_WEB, TUTORIAL_SVC1_HA } from './tutorial.js';

const FILE = '/etc/opensvc/svc1.conf';
const VALID = `${TUTORIAL_SVC1_HA}\n[env]\nport = 8080\n${TUTORIAL_APP_WEB.replace('app#web', 'app#api').replace('weblauncher', 'api-{env.port}')}`;

/** Every rejection is a ConfigError whose problems are non-empty single lines. */
function assertWellBehaved(text: string): void {
  const c = checkServiceConfig({ text, file: FILE, svcname: 'svc1', nodename: 'node1' });
  if (c.ok) {
    expect(c.config.resources.at(-1)).toBeDefined();
    expect(parseServiceConfig({ text, file: FILE, svcname: 'svc1', nodename: 'node1' })).toEqual(c.config);
    return;
  }
  expect(c.problems.length).toBeGreaterThan(0);
  for (const p of c.problems) {
    expect(typeof p).toBe('string');
    expect(p.length).toBeGreaterThan(0);
    expect(p).not.toMatch(/[\r\n\u2028\u2029]/);
    expect(p.startsWith(FILE)).toBe(true);
  }
  let thrown: unknown;
  try {
    parseServiceConfig({ text, file: FILE, svcname: 'svc1', nodename: 'node1' });
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  expect((thrown as ConfigError).problems).toEqual(c.problems);
}

const NASTY = ['\n', '\r\n', '\r', '\t', ' ', '=', '[', ']', '#', ';', '{', '}', '.', '@', '\uFEFF', '\u2028', '\0', 'é', 'ip#0', 'DEFAULT', '{env.port}', '{nodename}', 'True', '10', '10m'];
const piece = fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 4 }));

type Mutation = { kind: 'insert' | 'delete' | 'replace'; at: number; text: string } | { kind: 'dupLine' | 'dropLine' | 'swapLines'; at: number; other: number };

function mutate(text: string, m: Mutation): string {
  switch (m.kind) {
    case 'insert':
    case 'delete':
    case 'replace': {
      const at = m.at % (text.length + 1);
      if (m.kind === 'insert') return text.slice(0, at) + m.text + text.slice(at);
      if (m.kind === 'delete') return text.slice(0, at) + text.slice(at + 1 + (m.text.length % 4));
      return text.slice(0, at) + m.text + text.slice(at + m.text.length);
    }
    case 'dupLine':
    case 'dropLine':
    case 'swapLines': {
      const lines = text.split('\n');
      const i = m.at % lines.length;
      const j = m.other % lines.length;
      if (m.kind === 'dupLine') lines.splice(j, 0, lines[i]!);
      else if (m.kind === 'dropLine') lines.splice(i, 1);
      else [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join('\n');
    }
    default: {
      const never: never = m;
      return never;
    }
  }
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('insert' as const, 'delete' as const, 'replace' as const), at: fc.nat(), text: piece }),
  fc.record({ kind: fc.constantFrom('dupLine' as const, 'dropLine' as const, 'swapLines' as const), at: fc.nat(), other: fc.nat() }),
);

describe('the parser never crashes and refuses clearly', () => {
  test('the base config is valid', () => {
    assertWellBehaved(VALID);
    expect(checkServiceConfig({ text: VALID, file: FILE, svcname: 'svc1', nodename: 'node1' }).ok).toBe(true);
  });

  test('random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), assertWellBehaved), { numRuns: 500 });
    fc.assert(fc.property(fc.array(piece, { maxLength: 60 }).map((a) => a.join('')), assertWellBehaved), { numRuns: 500 });
  });

  test('mutated valid configs', () => {
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (ms) => assertWellBehaved(ms.reduce(mutate, VALID))), { numRuns: 1500 });
  });

  test('node config too', () => {
    fc.assert(
      fc.property(fc.array(mutation, { maxLength: 4 }), fc.string({ maxLength: 200 }), (ms, nodeText) => {
        const clusterText = ms.reduce(mutate, '[cluster]\nname = c1\nsecret = 0123456789abcdef0123456789abcdef\n\n[hb#1]\ntype = unicast\nport = 10000\n');
        const c = checkNodeConfig({ cluster: { text: clusterText, file: 'cluster.conf' }, node: { text: nodeText, file: 'node.conf' } }, 'n1');
        if (!c.ok) for (const p of c.problems) expect(p).not.toMatch(/[\r\n]|0123456789abcdef0123456789abcdef/);
      }),
      { numRuns: 500 },
    );
  });
});

describe('the document model round-trips', () => {
  test('what parses serializes back to the same keywords', () => {
    fc.assert(
      fc.property(fc.array(mutation, { maxLength: 6 }), (ms) => {
        const r = parseDocument(ms.reduce(mutate, VALID), FILE);
        if (!r.ok) return;
        const again = parseDocument(serializeDocument(r.doc), FILE);
        expect(again.ok).toBe(true);
        if (again.ok) expect(serializeDocument(again.doc)).toBe(serializeDocument(r.doc));
      }),
      { numRuns: 500 },
    );
  });

  test('set then get returns the value; nothing else changes', () => {
    const base = parseDocument(VALID, FILE);
    if (!base.ok) throw new Error('base');
    const key = fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/);
    const value = fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n\u2028\u2029]/g, '').trim());
    fc.assert(
      fc.property(fc.constantFrom('DEFAULT', 'ip#0', 'app#web', 'fs#new'), key, value, (section, k, v) => {
        const d = setValue(base.doc, section, k, v);
        const re = parseDocument(serializeDocument(d), FILE);
        expect(re.ok).toBe(true);
        if (re.ok) expect(getValue(re.doc, section, k)).toBe(v);
        expect(getValue(d, 'ip#0', 'ipname') ?? '').toBe(k === 'ipname' && section === 'ip#0' ? v : 'svc1.opensvc.com');
      }),
      { numRuns: 500 },
    );
  });
});
