import fs from 'node:fs';

/** What /proc/<pid>/stat says of a process: its state letter and its start time (clock ticks since boot); undefined when there is no entry. */
export function procStat(pid: number): { readonly state: string; readonly startTime: number } | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name (field 2) may hold spaces and parentheses: the fields after it start past the last ')'
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '', startTime: Number(rest[19]) };
}

/** Gone, a zombie (only its parent can reap it) or dead: no process that acts any more. */
export const exited = (state: string): boolean => state === 'Z' || state === 'X';
