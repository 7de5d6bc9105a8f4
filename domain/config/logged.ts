/**
 * The content of a service config as the log keeps it, so that a recorded
 * log replays into the same decisions (the orchestrator reads nodes,
 * orchestrate, monitor, restart... from the config): every section and
 * keyword line as written, comments dropped, and the value of any keyword
 * that may hold a secret (environment, passwords, tokens, keys) hidden.
 */
const SENSITIVE = /(env|environment|password|passwd|secret|token|credential|key)$/i;

export function configForLog(text: string): string {
  const out: string[] = [];
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (m && SENSITIVE.test(m[1]!.replace(/@.*$/, '').trim())) out.push(`${m[1]!.trim()} = (hidden)`);
    else out.push(line);
  }
  return `${out.join('\n')}\n`;
}
