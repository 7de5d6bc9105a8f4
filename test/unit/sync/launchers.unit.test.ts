import { describe, expect, it } from '@jest/globals';
import { launcherLinkRefusal, maskLauncherMode, resolvePosix } from '../../../domain/sync/launchers.js';

describe('a pushed launcher mode is masked to 0755', () => {
  it('keeps what was fine, drops setuid, setgid, sticky, group and other write, and says which', () => {
    expect(maskLauncherMode(0o755)).toEqual({ mode: 0o755, dropped: [] });
    expect(maskLauncherMode(0o644)).toEqual({ mode: 0o644, dropped: [] });
    expect(maskLauncherMode(0o700)).toEqual({ mode: 0o700, dropped: [] });
    expect(maskLauncherMode(0o4755)).toEqual({ mode: 0o755, dropped: ['setuid'] });
    expect(maskLauncherMode(0o2775)).toEqual({ mode: 0o755, dropped: ['setgid', 'group write'] });
    expect(maskLauncherMode(0o666)).toEqual({ mode: 0o644, dropped: ['group write', 'other write'] });
    expect(maskLauncherMode(0o7777)).toEqual({ mode: 0o755, dropped: ['setuid', 'setgid', 'sticky', 'group write', 'other write'] });
  });
});

describe('where a pushed <svc>.d may point', () => {
  const roots = { etc: '/etc/opensvc', dir: '/etc/opensvc/svc1.dir', mnts: ['/svc1', '/srv/data/'] };

  it('resolves a target as the kernel reads a link, without following anything', () => {
    expect(resolvePosix('/etc/opensvc', 'svc1.dir')).toBe('/etc/opensvc/svc1.dir');
    expect(resolvePosix('/etc/opensvc', '../../usr/bin')).toBe('/usr/bin');
    expect(resolvePosix('/etc/opensvc', '/svc1/../../../usr//bin/.')).toBe('/usr/bin');
    expect(resolvePosix('/', '')).toBe('/');
  });

  it('allows its own <svc>.dir and paths under its filesystems mount points', () => {
    for (const t of ['svc1.dir', './svc1.dir/', '/etc/opensvc/svc1.dir/init.d', '/svc1/app/init.d', '/svc1', '/srv/data/init.d']) {
      expect(launcherLinkRefusal(t, roots)).toBeUndefined();
    }
  });

  it('refuses anything else, dot-dot included, and a name that only starts like an allowed root', () => {
    expect(launcherLinkRefusal('/usr/bin', roots)).toBe("it resolves to /usr/bin, outside the service's launcher directory and filesystems (allowed: /etc/opensvc/svc1.dir, /svc1/..., /srv/data/...)");
    for (const t of ['/svc1/../usr/bin', 'svc1.dir/../../../usr/bin', '/svc10/app', '/etc/opensvc/svc1.dirx', '/etc/opensvc', 'svc2.dir', '/']) {
      expect(launcherLinkRefusal(t, roots)).toMatch(/^it resolves to .*, outside/);
    }
  });

  it('a mount point of / or a relative one allows nothing', () => {
    expect(launcherLinkRefusal('/usr/bin', { ...roots, mnts: ['/', 'rel/dir', '//'] })).toBe("it resolves to /usr/bin, outside the service's launcher directory and filesystems (allowed: /etc/opensvc/svc1.dir)");
  });

  it('a target holding control characters is echoed escaped', () => {
    expect(launcherLinkRefusal('/tmp/\x1b[2J', roots)).toMatch(/^it resolves to "\/tmp\/\\u001b\[2J", outside/);
  });
});
