import { runCrashTest, type CrashRunResult } from './crash-run';

/** The sizes of a run: from CRASH_KILLS, CRASH_CLIENTS, CRASH_SEED when set, else the defaults given. */
export function crashRunFromEnv(defaults: { kills: number; clients: number; minLifecycles: number; killDelayMs: [number, number] }): Promise<CrashRunResult> {
  const int = (name: string, fallback: number) => {
    const value = process.env[name];
    if (value === undefined || value === '') return fallback;
    if (!/^\d+$/.test(value)) throw new Error(`${name} must be a whole number, not ${value}`);
    return Number(value);
  };
  return runCrashTest({
    kills: int('CRASH_KILLS', defaults.kills),
    clients: int('CRASH_CLIENTS', defaults.clients),
    seed: int('CRASH_SEED', Math.floor(Math.random() * 2 ** 31)),
    minLifecycles: int('CRASH_MIN_LIFECYCLES', defaults.minLifecycles),
    killDelayMs: defaults.killDelayMs,
    log: (line) => process.stderr.write(`${line}\n`),
  });
}
