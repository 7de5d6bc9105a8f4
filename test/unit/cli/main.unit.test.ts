import { describe, expect, it } from '@jest/globals';
import { main } from '../../../src/cli/main.js';
import type { CommandTable } from '../../../src/cli/context.js';

const table: CommandTable = {
  'print status': { summary: 'show status', load: async () => ({ run: async (ctx) => (ctx.out(`status of ${ctx.svc ?? '-'}`), 0) }) },
};

async function call(argv: string[], invokedAs = '/usr/bin/svcmgr') {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main({ prog: 'svcmgr', table, argv, invokedAs, svcmgrPath: '/usr/bin/svcmgr', env: { OSVC_ROOT: '/nonexistent' }, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('CLI dispatch', () => {
  it('finds multi-word actions and the service from -s or the program name', async () => {
    expect(await call(['-s', 'svc1', 'print', 'status'])).toEqual({ code: 0, out: ['status of svc1'], err: [] });
    expect(await call(['print', 'status'], '/etc/opensvc/svc2')).toEqual({ code: 0, out: ['status of svc2'], err: [] });
  });
  it('an unknown action is a usage error (exit 2), with --help too', async () => {
    expect(await call(['daemon', 'join'])).toEqual({ code: 2, out: [], err: ['svcmgr: unknown action "daemon join" (see svcmgr --help)'] });
    expect((await call(['daemon', 'join', '--help'])).code).toBe(2);
  });
  it('--help alone lists the actions (exit 0); nothing at all is exit 2', async () => {
    const h = await call(['--help']);
    expect(h.code).toBe(0);
    expect(h.out.join('\n')).toContain('print status  show status');
    expect((await call([])).code).toBe(2);
    expect(await call(['print', 'status', '--help'])).toEqual({ code: 0, out: ['svcmgr print status: show status'], err: [] });
  });
  it('an option missing its value is a usage error', async () => {
    expect(await call(['-s'])).toEqual({ code: 2, out: [], err: ['option -s expects a value'] });
  });
});
