import { describe, expect, test } from '@jest/globals';
import { credentialKeywords } from '../../../domain/config/credentials.js';
import { parseDocument } from '../../../domain/config/document.js';
import { checkNodeConfig } from '../../../domain/config/node.js';
import { exportConfigOf } from '../../../domain/export/health.js';

const check = (nodeConf: string) => checkNodeConfig({ node: { text: nodeConf, file: '/etc/opensvc/node.conf' }, cluster: { text: '[cluster]\nname = c1\n', file: '/etc/opensvc/cluster.conf' } }, 'node1');

describe('[nats] export keywords', () => {
  test('a good config reads whole, a password with # and @ included', () => {
    const c = check('[nats]\nexport_url = nats://org:p#ss@w@nats.example.com:4222\nexport_stream = ORG_EVENTS\nexport_creds = /etc/opensvc/org.creds\n');
    expect(c.ok).toBe(true);
    if (c.ok) expect(exportConfigOf(c.config.sections.nats)).toEqual({ url: 'nats://org:p#ss@w@nats.example.com:4222', stream: 'ORG_EVENTS', creds: '/etc/opensvc/org.creds' });
  });

  test.each([
    ['export_url = http://nats.example.com:4222', 'export_url', 'a nats:// or tls:// URL'],
    ['export_url = nats://org:secret@', 'export_url', 'a nats:// or tls:// URL'],
    ['export_stream = org.events', 'export_stream', 'a JetStream stream name'],
    ['export_creds = org.creds', 'export_creds', 'an absolute path'],
  ])('%s is one line naming the file, section, keyword and what is expected, never the value', (line, keyword, expected) => {
    const c = check(`[nats]\n${line}\n`);
    expect(c.ok).toBe(false);
    if (c.ok) return;
    expect(c.problems).toHaveLength(1);
    const p = c.problems[0]!;
    expect(p).not.toContain('\n');
    expect(p).toContain('/etc/opensvc/node.conf');
    expect(p).toContain('[nats]');
    expect(p).toContain(keyword);
    expect(p).toContain(expected);
    expect(p).not.toContain('secret');
  });

  test('an export_url with a password or token makes node.conf a credential holder (0600, as [nats] url)', () => {
    const doc = (t: string) => {
      const d = parseDocument(t, '/etc/opensvc/node.conf', { echo: false });
      if (!d.ok) throw new Error(d.problems.join('; '));
      return d.doc;
    };
    expect(credentialKeywords(doc('[nats]\nexport_url = nats://org:pw@h:4222\n'))).toEqual(['nats.export_url']);
    expect(credentialKeywords(doc('[nats]\nexport_url = nats://tok3n@h:4222\n'))).toEqual(['nats.export_url']);
    expect(credentialKeywords(doc('[nats]\nexport_url = nats://h:4222\n'))).toEqual([]);
  });
});
