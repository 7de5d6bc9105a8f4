import { describe, expect, it } from '@jest/globals';
import { configChecksum } from '../../../src/config/checksum.js';
import { parsePayload, payloadDigest, type Launchers } from '../../../src/sync/payload.js';

const TEXT = '[DEFAULT]\nid = 0b1d3c1e-9f35-4c86-9c5e-2d3f0e1f2a3b\nnodes = node1 node2\n';
const body = (launchers: Launchers, text = TEXT) => ({ svc: 'svc1', text, checksum: configChecksum(text), launchers, digest: payloadDigest(text, launchers) });

describe('a received config payload, checked at the boundary', () => {
  it('takes a config with its launchers, a link, or nothing', () => {
    const dir: Launchers = { kind: 'dir', files: [{ path: 'sub/launcher', mode: 0o755, content: Buffer.from('#!/bin/sh\n').toString('base64') }] };
    for (const l of [dir, { kind: 'link', target: '/svc1/app/init.d' } as const, { kind: 'none' } as const]) {
      const r = parsePayload({ ...body(l), causation: 'node1:42' }, 'svc1');
      expect(r).toEqual({ ok: true, payload: { ...body(l), causation: 'node1:42' } });
    }
  });

  it('refuses launcher paths that leave the launcher directory', () => {
    for (const p of ['../evil', '/etc/passwd', 'a/../../b', '', 'a//b', './x']) {
      const r = parsePayload(body({ kind: 'dir', files: [{ path: p, mode: 0o644, content: '' }] }), 'svc1');
      expect(r).toEqual({ ok: false, reason: 'config of svc1: launchers.files: each file needs a relative path inside the launcher directory, a mode and a content' });
    }
  });

  it('refuses a text that does not match its checksum, files that do not match the digest, another service', () => {
    expect(parsePayload({ ...body({ kind: 'none' }), text: `${TEXT}# more\n` }, 'svc1')).toEqual({ ok: false, reason: 'config of svc1: checksum does not match the text: nothing written' });
    expect(parsePayload({ ...body({ kind: 'none' }), launchers: { kind: 'link', target: '/x' } }, 'svc1')).toEqual({ ok: false, reason: 'config of svc1: digest does not match the files: nothing written' });
    expect(parsePayload(body({ kind: 'none' }), 'svc2')).toEqual({ ok: false, reason: 'config of svc2: the body names service svc1, the path svc2' });
    expect(parsePayload('nope', 'svc1')).toEqual({ ok: false, reason: 'config of svc1: a JSON object is expected' });
  });

  it('takes any mode a file had before (up to 07777): the receiver masks it, it does not refuse it', () => {
    const l: Launchers = { kind: 'dir', files: [{ path: 'launcher', mode: 0o4755, content: '' }] };
    expect(parsePayload(body(l), 'svc1')).toEqual({ ok: true, payload: body(l) });
    expect(parsePayload(body({ kind: 'dir', files: [{ path: 'launcher', mode: 0o10000, content: '' }] }), 'svc1')).toMatchObject({ ok: false });
  });

  it('echoes a service name from the body on one line, control characters escaped', () => {
    expect(parsePayload({ ...body({ kind: 'none' }), svc: 'svc1\n\x1b[2J' }, 'svc1')).toEqual({ ok: false, reason: 'config of svc1: the body names service "svc1\\n\\u001b[2J", the path svc1' });
    expect(parsePayload({ ...body({ kind: 'none' }), svc: 7 }, 'svc1')).toEqual({ ok: false, reason: 'config of svc1: the body names service "7", the path svc1' });
  });
});
