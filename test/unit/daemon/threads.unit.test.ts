import { describe, expect, it } from '@jest/globals';
import { ThreadTable } from '../../../src/daemon/threads.js';

describe('svcmon threads', () => {
  it('a failed thread keeps saying why while its cells are refreshed; a new state forgets it', () => {
    const t = new ThreadTable();
    t.set('hb#2.tx', 'failed', { detail: 'write /dev/loop3: EPERM: operation not permitted' });
    t.set('hb#2.tx', 'failed', { peers: { node1: '/', node2: 'X' } });
    expect(t.get('hb#2.tx')).toEqual({ name: 'hb#2.tx', state: 'failed', detail: 'write /dev/loop3: EPERM: operation not permitted', peers: { node1: '/', node2: 'X' } });
    t.set('hb#2.tx', 'running', { peers: { node1: '/', node2: 'O' } });
    expect(t.get('hb#2.tx')).toEqual({ name: 'hb#2.tx', state: 'running', peers: { node1: '/', node2: 'O' } });
  });
});
