import { describe, expect, test } from '@jest/globals';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ResourceError } from '../../../domain/errors.js';
import { createAppDriver } from '../../../adapters/resources/app/driver.js';
import { formatDuration } from '../../../adapters/resources/common/duration.js';
import { recordingContext, resourceConfig, serviceConfig, type RecordingContext } from '../../support/driverContext.js';
import { useTestScope } from '../../support/jest.js';
import type { TestScope } from '../../support/scope.js';
import { pidAlive } from '../../support/proc.js';
import { createTempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

const DONE_RE = /^(start|stop) done in \d+:\d\d:\d\d\.\d{6} ret 0$/;

/** <root>/etc/opensvc/svc1.d -> svc1.dir, as `svcmgr create` lays it out. */
async function node(scope: TestScope): Promise<{ root: string; dir: string; rc: RecordingContext }> {
  const root = await createTempDir(scope);
  const etc = path.join(root, 'etc', 'opensvc');
  const dir = path.join(etc, 'svc1.dir');
  mkdirSync(dir, { recursive: true });
  symlinkSync('svc1.dir', path.join(etc, 'svc1.d'));
  return { root, dir, rc: recordingContext({ root, svc: serviceConfig('svc1') }) };
}

function launcher(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  return file;
}

/** A launcher whose actions are spelled in `cases` (bash case arms). */
function caseLauncher(dir: string, name: string, cases: string): string {
  return launcher(dir, name, `case $1 in\n${cases}\n*) echo "unsupported action: $1" >&2; exit 1 ;;\nesac`);
}

describe('app driver', () => {
  const scope = useTestScope();

  test('start/stop run the launcher found in <svc>.d and log the tutorial lines with the resolved path', async () => {
    const { root, dir, rc } = await node(scope());
    const state = path.join(root, 'state');
    caseLauncher(dir, 'weblauncher', `start) touch '${state}' ;;\nstop) rm -f '${state}' ;;\nstatus) test -f '${state}' ;;\ninfo) echo "Name: webserver"; echo "Port: 8080" ;;`);
    const d = createAppDriver(resourceConfig('app#web', { script: 'weblauncher' }));
    expect(d.label()).toBe('weblauncher');
    expect(await d.status(rc.ctx)).toEqual({ status: 'down', log: [] });

    await expect(d.start(rc.ctx)).resolves.toBe('done');
    const shown = path.join(root, 'etc/opensvc/svc1.dir/weblauncher');
    expect(rc.messages()[0]).toBe(`exec ${shown} start as user root`);
    expect(rc.messages()[1]).toMatch(DONE_RE);
    expect(rc.messages()).toHaveLength(2);
    expect(await d.status(rc.ctx)).toEqual({ status: 'up', log: [] });
    await expect(d.info(rc.ctx)).resolves.toEqual({ script: 'weblauncher', path: shown, Name: 'webserver', Port: '8080' });

    rc.clear();
    await expect(d.stop(rc.ctx)).resolves.toBe('done');
    expect(rc.messages()[0]).toBe(`exec ${shown} stop as user root`);
    expect(rc.messages()[1]).toMatch(DONE_RE);
    expect((await d.status(rc.ctx)).status).toBe('down');

    // stopped already: its status says so, the launcher's stop is not run again
    rc.clear();
    await expect(d.stop(rc.ctx)).resolves.toBe('already');
    expect(rc.messages()).toEqual(['weblauncher is already stopped']);
  });

  test('a failing start reports its exit code and stderr; a hung stop is killed at stop_timeout, its children too', async () => {
    const { root, dir, rc } = await node(scope());
    const child = path.join(root, 'child.pid');
    caseLauncher(dir, 'bad', `start) echo "starting"; echo "no port available" >&2; exit 3 ;;\nstatus) exit 0 ;;\nstop) sleep 30 & echo $! > '${child}'; wait ;;`);
    const d = createAppDriver(resourceConfig('app#bad', { script: 'bad', stop_timeout: 1 }));
    const err = await d.start(rc.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceError);
    expect((err as Error).message).toBe('start failed, ret 3: no port available');
    expect(rc.lines.slice(1).map(({ level, message }) => ({ level, message }))).toEqual([
      { level: 'info', message: 'starting' },
      { level: 'error', message: 'no port available' },
      { level: 'error', message: expect.stringMatching(/^start done in .* ret 3$/) },
    ]);
    const t0 = Date.now();
    await expect(d.stop(rc.ctx)).rejects.toThrow('stop timed out after 1s');
    expect(Date.now() - t0).toBeLessThan(5000);
    await waitFor('the hung child to be killed', () => !pidAlive(Number(readFileSync(child, 'utf8'))), 3000);
  });

  test('an aborted action (daemon stopping, user interrupt) ends the launcher at once', async () => {
    const { root, dir } = await node(scope());
    const child = path.join(root, 'child.pid');
    caseLauncher(dir, 'slow', `start) sleep 30 & echo $! > '${child}'; wait ;;`);
    const ac = new AbortController();
    const rc = recordingContext({ root, svc: serviceConfig('svc1'), signal: ac.signal });
    const d = createAppDriver(resourceConfig('app#0', { script: 'slow' }));
    const t0 = Date.now();
    const started = d.start(rc.ctx);
    await waitFor('the launcher to run', () => existsSync(child));
    ac.abort();
    await expect(started).rejects.toThrow('start aborted');
    expect(Date.now() - t0).toBeLessThan(5000);
    await waitFor('the launcher child to be killed', () => !pidAlive(Number(readFileSync(child, 'utf8'))), 3000);
  });

  test('status: exit 0 is up, 1 is down, another code or a status that hangs is warn', async () => {
    const { root, dir, rc } = await node(scope());
    const flag = path.join(root, 'flag');
    caseLauncher(dir, 'probe', `status) test -f '${flag}' ;;`);
    caseLauncher(dir, 'hang', 'status) sleep 30 ;;');
    const probe = createAppDriver(resourceConfig('app#0', { script: 'probe' }));
    expect((await probe.status(rc.ctx)).status).toBe('down');
    writeFileSync(flag, '');
    expect((await probe.status(rc.ctx)).status).toBe('up');
    const hang = createAppDriver(resourceConfig('app#1', { script: 'hang', status_timeout: '1s' }));
    const t0 = Date.now();
    expect(await hang.status(rc.ctx)).toEqual({ status: 'warn', log: ['warn: status timed out after 1s'] });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(rc.messages()).toEqual([]); // status is silent
  });

  test('a status check that errs is warn, and the stop still runs the launcher (the app may be running)', async () => {
    const { root, dir, rc } = await node(scope());
    const state = path.join(root, 'state');
    caseLauncher(dir, 'broken', `start) touch '${state}' ;;\nstop) rm -f '${state}' ;;\nstatus) echo "pgrep: cannot read /proc" >&2; exit 3 ;;`);
    const d = createAppDriver(resourceConfig('app#web', { script: 'broken' }));
    await d.start(rc.ctx);
    expect(await d.status(rc.ctx)).toEqual({ status: 'warn', log: ['warn: check reports errors (3): pgrep: cannot read /proc'] });
    rc.clear();
    await expect(d.stop(rc.ctx)).resolves.toBe('done');
    expect(existsSync(state)).toBe(false);
    expect(rc.messages()).not.toContain('broken is already stopped');
  });

  test('runs as `user` with `environment` added, values passed as data', async () => {
    const s = scope();
    const { root, dir, rc } = await node(s);
    chmodSync(root, 0o755); // nobody must reach the launcher
    const out = path.join(root, 'out');
    mkdirSync(out, { mode: 0o777 });
    chmodSync(out, 0o777);
    const marker = path.join(root, 'pwned');
    caseLauncher(dir, 'whoami', `start) { id -u; id -g; printf '%s\\n' "$GREETING" "$OPENSVC_SVCNAME" "$OPENSVC_RID"; } > '${out}/result' ;;`);
    const d = createAppDriver(
      resourceConfig('app#who', { script: 'whoami', user: 'nobody', environment: [`GREETING=hello $(touch ${marker}); \`touch ${marker}\``] }),
    );
    await d.start(rc.ctx);
    expect(rc.messages()[0]).toMatch(/ start as user nobody$/);
    const [uid, gid, greeting, svcname, rid] = readFileSync(path.join(out, 'result'), 'utf8').split('\n');
    expect(uid).toBe('65534');
    expect(gid).not.toBe('0');
    expect(greeting).toBe(`hello $(touch ${marker}); \`touch ${marker}\``);
    expect([svcname, rid]).toEqual(['svc1', 'app#who']);
    expect(existsSync(marker)).toBe(false);

    const unknown = createAppDriver(resourceConfig('app#x', { script: 'whoami', user: 'hasvct-nosuchuser' }));
    await expect(unknown.start(rc.ctx)).rejects.toThrow('user hasvct-nosuchuser not found');
    const badEnv = createAppDriver(resourceConfig('app#x', { script: 'whoami', environment: ['1X=y'] }));
    await expect(badEnv.start(rc.ctx)).rejects.toThrow('environment "1X=y" is not KEY=VALUE');
  });

  test('an absolute script path works; relative paths with "/", ".." and missing scripts are refused', async () => {
    const s = scope();
    const { root, dir, rc } = await node(s);
    const abs = caseLauncher(path.join(root), 'abs', 'start) exit 0 ;;');
    await expect(createAppDriver(resourceConfig('app#0', { script: abs })).start(rc.ctx)).resolves.toBe('done');
    expect(rc.messages()[0]).toBe(`exec ${abs} start as user root`);

    const marker = `/tmp/hasvct-pwned-${s.id}`;
    caseLauncher(dir, 'ok', 'start) exit 0 ;;');
    writeFileSync(path.join(dir, 'notexec'), '#!/bin/bash\nexit 0\n', { mode: 0o644 });
    for (const [script, why] of [
      [`x; touch ${marker}`, /refused: give a basename/],
      ['sub/ok', /refused: give a basename/],
      ['../svc1.dir/ok', /no '\.\.' segments/],
      ['/bin/../bin/true', /no '\.\.' segments/],
      ['..', /no '\.\.' segments/],
      [`$(touch x)`, /not found/],
      ['x\ny', /control characters/],
      ['notexec', /is not executable/],
    ] as const) {
      const d = createAppDriver(resourceConfig('app#0', { script }));
      await expect(d.start(rc.ctx)).rejects.toThrow(why);
    }
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(path.join(dir, 'x'))).toBe(false);
  });

  test('a launcher whose name holds shell syntax runs as that one file, nothing else', async () => {
    const { root, dir, rc } = await node(scope());
    const marker = path.join(root, 'pwned');
    const ran = path.join(root, 'ran');
    const name = `web;touch pwned $(touch pwned) \`touch pwned\``;
    caseLauncher(dir, name, `start) echo "$0" > '${ran}' ;;`);
    await expect(createAppDriver(resourceConfig('app#0', { script: name })).start(rc.ctx)).resolves.toBe('done');
    expect(readFileSync(ran, 'utf8').trim()).toBe(path.join(dir, name).replace('svc1.dir', 'svc1.d'));
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(path.join('/', 'pwned'))).toBe(false);
  });

  test('a launcher that is not there (its fs not mounted): status down, start fails, stop has nothing to stop', async () => {
    const { rc } = await node(scope());
    const d = createAppDriver(resourceConfig('app#web', { script: 'weblauncher' }));
    expect(await d.status(rc.ctx)).toEqual({ status: 'down', log: [] });
    await expect(d.start(rc.ctx)).rejects.toThrow(/script .*svc1\.d\/weblauncher not found/);
    await expect(d.stop(rc.ctx)).resolves.toBe('already');
    expect(rc.lines.map(({ level, message }) => ({ level, message }))).toEqual([
      { level: 'warn', message: expect.stringMatching(/weblauncher not found: considered stopped$/) },
    ]);
  });
});

describe('formatDuration', () => {
  test('prints H:MM:SS.micro6 as OpenSVC does', () => {
    expect(formatDuration(9.874)).toBe('0:00:00.009874');
    expect(formatDuration(3_723_456.789)).toBe('1:02:03.456789');
  });
});
