import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import * as path from 'node:path';

/** The parts of a V8 .cpuprofile this reads. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly selfMs: number;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly totalMs: number;
  /** Top functions by self time (where the CPU actually was). */
  readonly functions: readonly ProfileEntry[];
  /** Self time per package / library / runtime bucket. */
  readonly packages: readonly ProfileEntry[];
  /** Native functions (SQLite statements and their fsyncs, crypto, JSON) by the nearest JavaScript function that called them. */
  readonly nativeByCaller: readonly ProfileEntry[];
}

/** Profiles a stretch of this process (in-process steps: appends, reads, rebuild), writing a .cpuprofile. */
export async function profileInProcess<T>(dir: string | null, name: string, work: () => Promise<T>): Promise<{ result: T; summary: ProfileSummary | null }> {
  if (dir === null) return { result: await work(), summary: null };
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (error, answer) => (error ? reject(error) : resolve(answer))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  let result: T;
  try {
    result = await work();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: CpuProfile };
    session.disconnect();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
  }
  return { result, summary: summariseProfile(path.join(dir, `${name}.cpuprofile`)) };
}

/** Top self-time functions and packages of a .cpuprofile (from `node --cpu-prof`, the inspector, or the preload). */
export function summariseProfile(file: string, top = 20): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const nameOf = (frame: CpuProfile['nodes'][number]['callFrame']) =>
    frame.url ? `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : frame.functionName.startsWith('(') ? frame.functionName : `${frame.functionName} (native)`;
  const jsCallerOf = (id: number): string => {
    for (let at = parentOf.get(id); at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at);
      if (frame?.url && !frame.url.includes('node_modules/better-sqlite3/')) return nameOf(frame);
    }
    return '(no JavaScript caller)';
  };
  const selfByFunction = new Map<string, number>();
  const selfByPackage = new Map<string, number>();
  const nativeByCaller = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; the time a sample stands for is the delta that follows it.
    const ms = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000;
    const frame = byId.get(samples[i]);
    if (!frame) continue;
    total += ms;
    const name = nameOf(frame);
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + ms);
    if (!frame.url && !frame.functionName.startsWith('(')) {
      const key = `${name} ← ${jsCallerOf(samples[i])}`;
      nativeByCaller.set(key, (nativeByCaller.get(key) ?? 0) + ms);
    }
    const bucket = packageOf(frame.url, frame.functionName);
    selfByPackage.set(bucket, (selfByPackage.get(bucket) ?? 0) + ms);
  }
  const entries = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, selfMs]) => ({ name, selfMs: Math.round(selfMs), percent: total > 0 ? Number(((selfMs * 100) / total).toFixed(1)) : 0 }));
  return { file, totalMs: Math.round(total), functions: entries(selfByFunction), packages: entries(selfByPackage), nativeByCaller: entries(nativeByCaller) };
}

/** A source path relative to the repository (the benchmark's build mirrors it: node_modules/.cache/card-bench/build-<key>/…). */
function sourcePath(url: string): string | null {
  const clean = url.replace(/^file:\/\//, '');
  const built = /\/card-bench\/build-[0-9a-f]+\/(.*)$/.exec(clean);
  if (built) return built[1];
  if (clean.includes('/node_modules/')) return null;
  const repo = /\/((?:apps|libs|bench)\/.*)$/.exec(clean);
  return repo ? repo[1] : null;
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const source = sourcePath(url);
  if (source) return source;
  const clean = url.replace(/^file:\/\//, '');
  const modules = clean.lastIndexOf('node_modules/');
  return modules >= 0 ? clean.slice(modules + 'node_modules/'.length) : clean;
}

/**
 * node_modules/<package>, apps/<app>, libs/<lib>, bench, node:<internal>, V8's own buckets ((garbage collector),
 * (idle), (program)), or (native): C++ called from JavaScript (better-sqlite3's statements and their fsyncs,
 * crypto, JSON.parse, socket writes).
 */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const source = sourcePath(url);
  if (source) return /^(apps|libs)\/[^/]+/.exec(source)?.[0] ?? source.split('/')[0];
  const clean = url.replace(/^file:\/\//, '');
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(clean.slice(clean.lastIndexOf('node_modules/')));
  if (modules) return modules[1];
  if (clean.startsWith('node:')) return `node:${clean.slice(5).split('/')[0]}`;
  return clean;
}

export function describeSummary(summary: ProfileSummary, lines = 12): string {
  const f = summary.functions.slice(0, lines).map((e) => `    ${String(e.percent).padStart(5)} %  ${e.name}`);
  const p = summary.packages.slice(0, 8).map((e) => `    ${String(e.percent).padStart(5)} %  ${e.name}`);
  const n = summary.nativeByCaller.slice(0, 6).map((e) => `    ${String(e.percent).padStart(5)} %  ${e.name}`);
  return [
    `  ${path.basename(summary.file)}: ${summary.totalMs} ms sampled`,
    '  top self time, functions:',
    ...f,
    '  by package:',
    ...p,
    '  native code by its JavaScript caller:',
    ...n,
  ].join('\n');
}
