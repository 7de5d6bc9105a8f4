import { describe, expect, it } from '@jest/globals';
import { credentialKeywords, urlHoldsCredentials } from '../../../domain/config/credentials.js';
import { parseDocument } from '../../../domain/config/document.js';

function doc(text: string) {
  const r = parseDocument(text, 'node.conf');
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.doc;
}

describe('credentials in node.conf', () => {
  it('a URL with a user and password, or a token, holds credentials; one without does not', () => {
    expect(urlHoldsCredentials('nats://u:p@h:4222')).toBe(true);
    expect(urlHoldsCredentials('nats://u:p#a/s@s@h:4222')).toBe(true);
    expect(urlHoldsCredentials('nats://s3cr3t@h')).toBe(true);
    expect(urlHoldsCredentials('u:p@h:4222')).toBe(true);
    expect(urlHoldsCredentials('nats://h:4222')).toBe(false);
    expect(urlHoldsCredentials('nats://@h:4222')).toBe(false);
  });

  it('names the [nats] url holding a password and the secret keywords, nothing else', () => {
    expect(credentialKeywords(doc('[nats]\nurl = nats://u:p#w@h:4222\nport = 4222\n[listener]\nport = 1214\n'))).toEqual(['nats.url']);
    expect(credentialKeywords(doc('[cluster]\nsecret = 0123456789abcdef0123456789abcdef\n'))).toEqual(['cluster.secret']);
    expect(credentialKeywords(doc('[nats]\nurl = nats://nats.example.com:4222\n[node]\nenv = PRD\n'))).toEqual([]);
    expect(credentialKeywords(doc(''))).toEqual([]);
  });
});
