/**
 * The Node.js flags card-api runs with in production, read from where they are set: `npm start` (package.json) and
 * the Dockerfile's CMD, which must agree (scripts/production-node-flags.spec.ts). The benchmark starts card-api with
 * them, so that it measures the service as it runs. card-projector's, likewise: `npm run start:projector` and its
 * `command` in docker-compose.yml.
 */

/** The `--…` words between `node` and the script in a command line, e.g. `node --max-old-space-size=384 main.js`. */
export function nodeFlagsOf(words: readonly string[], where: string): string[] {
  if (words[0] !== 'node') throw new Error(`${where}: expected a command starting with node, got "${words.join(' ')}"`);
  const flags: string[] = [];
  for (const word of words.slice(1)) {
    if (!word.startsWith('--')) return flags;
    flags.push(word);
  }
  throw new Error(`${where}: no script after the flags in "${words.join(' ')}"`);
}

/** The flags of package.json's `start` script. */
export function startScriptNodeFlags(packageJson: string): string[] {
  const start = (JSON.parse(packageJson) as { scripts?: Record<string, string> }).scripts?.start;
  if (typeof start !== 'string') throw new Error('package.json has no start script');
  return nodeFlagsOf(start.trim().split(/\s+/), 'package.json scripts.start');
}

/** The flags of the Dockerfile's last CMD, written in its JSON (exec) form. */
export function dockerfileNodeFlags(dockerfile: string): string[] {
  const commands = dockerfile.split('\n').filter((line) => /^CMD\s/.test(line));
  if (commands.length === 0) throw new Error('the Dockerfile has no CMD');
  const words = JSON.parse(commands[commands.length - 1].replace(/^CMD\s+/, '')) as unknown;
  if (!Array.isArray(words) || !words.every((word) => typeof word === 'string')) throw new Error('the Dockerfile CMD is not in its JSON (exec) form');
  return nodeFlagsOf(words, 'Dockerfile CMD');
}

/** The flags of package.json's `start:projector` script (its last command: the one that runs node). */
export function projectorStartScriptNodeFlags(packageJson: string): string[] {
  const start = (JSON.parse(packageJson) as { scripts?: Record<string, string> }).scripts?.['start:projector'];
  if (typeof start !== 'string') throw new Error('package.json has no start:projector script');
  const last = start.split(/;|&&|\|\|/).pop()!.trim();
  return nodeFlagsOf(last.split(/\s+/), 'package.json scripts.start:projector');
}

/** The flags of a service's `command` in docker-compose.yml, written in its JSON (exec) form on one line. */
export function composeServiceNodeFlags(compose: string, service: string): string[] {
  const lines = compose.split('\n');
  const start = lines.findIndex((line) => line === `  ${service}:`);
  if (start < 0) throw new Error(`docker-compose.yml has no service ${service}`);
  for (const line of lines.slice(start + 1)) {
    if (/^  \S/.test(line)) break; // the next service
    const command = /^\s+command:\s*(\[.*\])\s*$/.exec(line);
    if (command) {
      const words = JSON.parse(command[1]) as unknown;
      if (!Array.isArray(words) || !words.every((word) => typeof word === 'string')) throw new Error(`${service}: command is not a list of strings`);
      return nodeFlagsOf(words, `docker-compose.yml ${service} command`);
    }
  }
  throw new Error(`docker-compose.yml: service ${service} has no command in its JSON (exec) form`);
}
