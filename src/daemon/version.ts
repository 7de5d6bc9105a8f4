import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** hasvc's version, from the package.json beside the sources (src/daemon/) or the build (dist/src/daemon/). */
export function agentVersion(): string {
  if (cached !== undefined) return cached;
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const raw = JSON.parse(fs.readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8')) as { name?: unknown; version?: unknown };
      if (raw.name === 'hasvc' && typeof raw.version === 'string') return (cached = raw.version);
    } catch {
      /* try the next candidate */
    }
  }
  return (cached = 'unknown');
}
