// CPU time (user + system) of processes from /proc: the servers a bench started, their descendants (the plugin
// host child) and the machine's Postgres and NATS, so a throughput figure can say where its CPU went. Linux only;
// elsewhere every reading is empty.
import { readdirSync, readFileSync } from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  cpuMs: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    // after the comm: state(0) ppid(1) … utime(11) stime(12)
    return { pid, ppid: Number(fields[1]), comm, cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
  } catch {
    return undefined;
  }
}

function all(): Stat[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  return names.flatMap((n) => (/^\d+$/.test(n) ? (stat(Number(n)) ?? []) : []));
}

/**
 * CPU ms so far per label: each root process, its descendants together (`<label> children`, when it has any), and
 * every process whose name starts with one of `byName`. A process that exits between two snapshots takes its CPU
 * with it (a plugin host restarted during a measurement is miscounted), and `byName` counts every such process
 * of the machine, not only those a bench uses.
 */
export function cpuSnapshot(roots: Record<string, number>, byName: string[]): Map<string, number> {
  const stats = all();
  const children = new Map<number, Stat[]>();
  for (const s of stats) {
    const siblings = children.get(s.ppid);
    if (siblings) siblings.push(s);
    else children.set(s.ppid, [s]);
  }
  const out = new Map<string, number>();
  for (const [label, pid] of Object.entries(roots)) {
    out.set(label, stats.find((s) => s.pid === pid)?.cpuMs ?? 0);
    const queue = [...(children.get(pid) ?? [])];
    if (queue.length === 0) continue;
    let ms = 0;
    while (queue.length) {
      const s = queue.pop() as Stat;
      ms += s.cpuMs;
      queue.push(...(children.get(s.pid) ?? []));
    }
    out.set(`${label} children`, ms);
  }
  for (const prefix of byName) {
    out.set(
      prefix,
      stats.filter((s) => s.comm.startsWith(prefix)).reduce((a, s) => a + s.cpuMs, 0),
    );
  }
  return out;
}

/** "label a.b ms, …" per unit of work between two snapshots. */
export function cpuPer(before: Map<string, number>, after: Map<string, number>, units: number): string {
  return [...after]
    .map(([label, ms]) => `${label} ${((ms - (before.get(label) ?? 0)) / units).toFixed(2)} ms`)
    .join(", ");
}
