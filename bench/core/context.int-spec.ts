import * as fs from 'node:fs';
import * as path from 'node:path';
import { BenchContext } from './context';

describe('BenchContext temporary directories', () => {
  const saved = process.env.BENCH_KEEP_DIRS;
  afterEach(() => {
    if (saved === undefined) delete process.env.BENCH_KEEP_DIRS;
    else process.env.BENCH_KEEP_DIRS = saved;
  });
  const contextWithProgress = () => {
    const lines: string[] = [];
    return { ctx: new BenchContext({ quick: true, only: [], profileDir: null, progress: (line) => lines.push(line) }), lines };
  };

  it('removes a directory when its group is done with it, and the rest at clean-up', () => {
    delete process.env.BENCH_KEEP_DIRS;
    const { ctx, lines } = contextWithProgress();
    const [first, second] = [ctx.tempDir('a'), ctx.tempDir('b')];
    fs.writeFileSync(path.join(first.path, 'events.db'), 'x');
    first.remove();
    first.remove(); // twice: still only its own
    expect(fs.existsSync(first.path)).toBe(false);
    expect(fs.existsSync(second.path)).toBe(true);
    ctx.cleanUp();
    expect(fs.existsSync(second.path)).toBe(false);
    expect(lines).toEqual([]);
  });

  it('keeps every directory with BENCH_KEEP_DIRS=1, even one its group removes, and says where each is', () => {
    process.env.BENCH_KEEP_DIRS = '1';
    const { ctx, lines } = contextWithProgress();
    const [first, second] = [ctx.tempDir('a'), ctx.tempDir('b')];
    try {
      first.remove();
      ctx.cleanUp();
      expect(fs.existsSync(first.path)).toBe(true);
      expect(fs.existsSync(second.path)).toBe(true);
      expect(lines).toEqual([`kept ${first.path} (BENCH_KEEP_DIRS=1)`, `kept ${second.path} (BENCH_KEEP_DIRS=1)`]);
    } finally {
      for (const dir of [first.path, second.path]) fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
