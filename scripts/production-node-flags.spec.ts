import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServiceNodeFlags, dockerfileNodeFlags, nodeFlagsOf, projectorStartScriptNodeFlags, startScriptNodeFlags } from './production-node-flags';

const root = join(__dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

describe('the Node.js flags card-api runs with in production', () => {
  it('given npm start and the Dockerfile, then they start card-api with the same flags, the heap limit and young generation among them', () => {
    const fromNpm = startScriptNodeFlags(read('package.json'));
    expect(dockerfileNodeFlags(read('Dockerfile'))).toEqual(fromNpm);
    expect(fromNpm).toContainEqual(expect.stringMatching(/^--max-old-space-size=\d+$/));
    expect(fromNpm).toContainEqual(expect.stringMatching(/^--max-semi-space-size=\d+$/));
  });

  it('given npm run start:projector and docker-compose.yml, then they start card-projector with the same flags, a heap limit among them', () => {
    const fromNpm = projectorStartScriptNodeFlags(read('package.json'));
    expect(composeServiceNodeFlags(read('docker-compose.yml'), 'card-projector')).toEqual(fromNpm);
    expect(fromNpm).toContainEqual(expect.stringMatching(/^--max-old-space-size=\d+$/));
  });

  it('given a compose file, then a service\'s flags come from its own command, and a missing one is an error', () => {
    const compose = ['services:', '  a:', '    command: ["node", "--x", "a.js"]', '  b:', '    image: b', '  c:', '    command: ["node", "c.js"]', ''].join('\n');
    expect(composeServiceNodeFlags(compose, 'a')).toEqual(['--x']);
    expect(composeServiceNodeFlags(compose, 'c')).toEqual([]);
    expect(() => composeServiceNodeFlags(compose, 'b')).toThrow('service b has no command');
    expect(() => composeServiceNodeFlags(compose, 'd')).toThrow('no service d');
    expect(projectorStartScriptNodeFlags(JSON.stringify({ scripts: { 'start:projector': 'npm run build; node --y p.js' } }))).toEqual(['--y']);
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
