import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerfileNodeFlags, nodeFlagsOf, startScriptNodeFlags } from './production-node-flags';

const root = join(__dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

describe('the Node.js flags card-api runs with in production', () => {
  it('given npm start and the Dockerfile, then they start card-api with the same flags, the heap limit and young generation among them', () => {
    const fromNpm = startScriptNodeFlags(read('package.json'));
    expect(dockerfileNodeFlags(read('Dockerfile'))).toEqual(fromNpm);
    expect(fromNpm).toContainEqual(expect.stringMatching(/^--max-old-space-size=\d+$/));
    expect(fromNpm).toContainEqual(expect.stringMatching(/^--max-semi-space-size=\d+$/));
  });

  it('given a command line, then the flags are the words between node and the script', () => {
    expect(nodeFlagsOf(['node', '--a=1', '--b', 'main.js', '--not-a-flag'], 'here')).toEqual(['--a=1', '--b']);
    expect(nodeFlagsOf(['node', 'main.js'], 'here')).toEqual([]);
    expect(() => nodeFlagsOf(['npm', 'start'], 'here')).toThrow('here: expected a command starting with node');
    expect(() => nodeFlagsOf(['node', '--a'], 'here')).toThrow('here: no script after the flags');
    expect(() => dockerfileNodeFlags('FROM node:20\nCMD node main.js\n')).toThrow();
    expect(dockerfileNodeFlags('FROM node:20\nCMD ["node", "x.js"]\nCMD ["node", "--z", "main.js"]\n')).toEqual(['--z']);
  });
});
