import fs from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/**
 * The functions a .cpuprofile (node --cpu-prof) spent most self time in:
 * ms and share of the window's wall time. The window: `windowMs` ending
 * `tailMs` before the profile ends (the idle stretch, start-up and stop left out).
 */
export function hotSpots(file: string, o: { windowMs: number; tailMs: number; top?: number }): string[] {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const to = p.endTime - o.tailMs * 1000;
  const from = to - o.windowMs * 1000;
  let t = p.startTime;
  p.samples.forEach((id, i) => {
    t += p.timeDeltas[i] ?? 0;
    const n = byId.get(id);
    if (!n || t < from || t > to) return;
    const f = n.callFrame;
    const where = f.url ? `${f.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  const wallMs = Math.min(o.windowMs, (to - p.startTime) / 1000);
  const busy = [...self].filter(([k]) => k !== '(idle)').reduce((a, [, v]) => a + v, 0);
  return [
    `${file}: ${(wallMs / 1000).toFixed(1)} s looked at, ${busy.toFixed(0)} ms busy (${((busy / wallMs) * 100).toFixed(2)} %)`,
    ...[...self]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, o.top ?? 20)
      .map(([k, ms]) => `${ms.toFixed(0).padStart(7)} ms  ${((ms / wallMs) * 100).toFixed(2).padStart(5)} %  ${k}`),
  ];
}
