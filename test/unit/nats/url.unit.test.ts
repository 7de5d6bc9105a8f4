import { describe, expect, it } from '@jest/globals';
import { parseNatsUrl } from '../../../adapters/nats/connect.js';
import { redact } from '../../../adapters/nats/eventStore.js';

describe('NATS URLs of [nats] url', () => {
  it('keeps a password holding #, ;, @ or / whole, decodes percent-escapes', () => {
    expect(parseNatsUrl('nats://ext:p#ss;w@rd/x@127.0.0.1:4333')).toEqual({ host: '127.0.0.1', port: 4333, user: 'ext', pass: 'p#ss;w@rd/x' });
    expect(parseNatsUrl('nats://ext:p%23ss@nats.example.com')).toEqual({ host: 'nats.example.com', port: 4222, user: 'ext', pass: 'p#ss' });
    expect(parseNatsUrl('nats://token@h:1')).toEqual({ host: 'h', port: 1, user: 'token' });
    expect(parseNatsUrl('nats://[::1]:4222')).toEqual({ host: '::1', port: 4222 });
    expect(parseNatsUrl('127.0.0.1:4222')).toEqual({ host: '127.0.0.1', port: 4222 });
    expect(parseNatsUrl('nats://h:notaport')).toBeUndefined();
    expect(parseNatsUrl('nats://h:1/path')).toBeUndefined();
  });

  it('redact hides the password or token, wherever its characters would stop a simpler pattern', () => {
    expect(redact('nats://ext:p#ss;w@rd/x@127.0.0.1:4333')).toBe('nats://ext:***@127.0.0.1:4333');
    expect(redact('nats://s3cr3t@h:1')).toBe('nats://***@h:1');
    expect(redact('nats://h:1')).toBe('nats://h:1');
    expect(redact('cannot connect to NATS at nats://u:pw@h:1: TIMEOUT')).toBe('cannot connect to NATS at nats://u:***@h:1: TIMEOUT');
  });
});
