import { describe, expect, it } from '@jest/globals';
import { humanLine } from '../../../src/cli/node/logs.js';

describe('nodemgr logs: a pino line as a person reads it', () => {
  it('time, level, message, then the other fields as key=value, quoted when they need it', () => {
    const raw = JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 2, 14, 36), node: 'node1', pid: 42, svc: 'svc1', reason: 'node frozen', count: 2, msg: 'orchestrator: not acting' });
    expect(humanLine(raw)).toBe('2026-01-02T14:36:00.000Z INFO  orchestrator: not acting svc=svc1 reason="node frozen" count=2');
    expect(humanLine(JSON.stringify({ level: 50, time: 0, msg: 'request failed', err: { code: 'X' } }))).toBe('1970-01-01T00:00:00.000Z ERROR request failed err={"code":"X"}');
  });

  it('a line cut by a crash, or another writer\'s, is shown as it is, never acting on the terminal', () => {
    expect(humanLine('{"level":30,"ti')).toBe('{"level":30,"ti');
    expect(humanLine(JSON.stringify({ level: 40, time: 0, msg: 'peer \u001b[31mred' }))).not.toContain('\u001b');
  });
});
