import { describe, expect, it } from '@jest/globals';
import { planAction, rollbackSteps, startOrder, stopOrder } from '../../../domain/action/plan.js';
import type { ResourceConfig, ServiceConfig } from '../../../domain/config/types.js';

function r(rid: string, kw: Record<string, number | string> = {}, extra: Partial<ResourceConfig> = {}): ResourceConfig {
  return { rid, driver: rid.split('#')[0]!, type: undefined, optional: false, disable: false, monitor: false, standby: false, restart: 0, tags: [], subset: undefined, kw, ...extra };
}

function svc(resources: ResourceConfig[]): ServiceConfig {
  return { name: 'svc1', id: 'x', app: undefined, nodes: ['node1'], drpnodes: [], orchestrate: 'no', placement: 'nodes order', topology: 'failover', defaults: {}, resources };
}

const TUTORIAL = [r('app#web', { start: 10, stop: 90 }), r('fs#app'), r('ip#0'), r('fs#data'), r('disk#0'), r('sync#i0')];
const ids = (rs: readonly ResourceConfig[]) => rs.map((x) => x.rid);

describe('action plan', () => {
  it('starts ip, disk, fs (file order), apps (start number); sync takes no part', () => {
    expect(ids(startOrder(TUTORIAL))).toEqual(['ip#0', 'disk#0', 'fs#app', 'fs#data', 'app#web']);
  });

  it('stops in the exact reverse', () => {
    expect(ids(stopOrder(TUTORIAL))).toEqual(['app#web', 'fs#data', 'fs#app', 'disk#0', 'ip#0']);
  });

  it('orders apps by start on start and by stop on stop', () => {
    const apps = [r('app#b', { start: 20, stop: 10 }), r('app#a', { start: 10, stop: 20 })];
    expect(ids(startOrder(apps))).toEqual(['app#a', 'app#b']);
    expect(ids(stopOrder(apps))).toEqual(['app#b', 'app#a']);
  });

  it('skips disabled resources and unselected ones, with the reason', () => {
    const p = planAction(svc([r('ip#0'), r('fs#app', {}, { disable: true }), r('app#web', {}, { tags: ['web'] })]), 'start', { tags: ['web'] });
    expect(p.ok && p.steps.map((s) => `${s.conf.rid}:${s.skip ?? 'run'}`)).toEqual(['ip#0:not selected', 'fs#app:not selected', 'app#web:run']);
    const q = planAction(svc([r('ip#0'), r('fs#app', {}, { disable: true })]), 'start', {});
    expect(q.ok && q.steps.map((s) => `${s.conf.rid}:${s.skip ?? 'run'}`)).toEqual(['ip#0:run', 'fs#app:disabled']);
  });

  it('selects by rid or by driver, and refuses an unknown rid', () => {
    const s = svc([r('ip#0'), r('fs#app'), r('fs#data')]);
    const p = planAction(s, 'stop', { rids: ['fs'] });
    expect(p.ok && p.steps.filter((x) => !x.skip).map((x) => x.conf.rid)).toEqual(['fs#data', 'fs#app']);
    expect(planAction(s, 'start', { rids: ['fs#nope'] })).toEqual({ ok: false, reason: 'svc1: no resource fs#nope (resources: ip#0, fs#app, fs#data)' });
  });

  it('rolls back only what the action started, in stop order', () => {
    expect(ids(rollbackSteps([r('ip#0'), r('disk#0')]))).toEqual(['disk#0', 'ip#0']);
    expect(rollbackSteps([])).toEqual([]);
  });
});
