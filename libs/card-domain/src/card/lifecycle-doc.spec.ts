import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderLifecycleMarkdown } from './lifecycle-doc';

const DOC = path.join(__dirname, '../../../../docs/lifecycle.md');

describe('docs/lifecycle.md', () => {
  it('is what the lifecycle table renders', () => {
    let written = '';
    try {
      written = readFileSync(DOC, 'utf8');
    } catch {
      throw new Error(`${DOC} is missing: run \`npm run docs:lifecycle\``);
    }
    if (written !== renderLifecycleMarkdown()) {
      throw new Error('docs/lifecycle.md is out of date with libs/card-domain/src/card/lifecycle.ts: run `npm run docs:lifecycle`');
    }
  });

  it('shows every status and command', () => {
    const markdown = renderLifecycleMarkdown();
    expect(markdown).toContain('stateDiagram-v2');
    expect(markdown).toContain('[*] --> ISSUED : IssueCard');
    expect(markdown).toContain('SUSPENDED --> ACTIVE : ReinstateCard');
    expect(markdown).toContain('DISPUTED --> SUSPENDED : ResolveDispute (REJECTED)');
    expect(markdown).toContain('CANCELLED --> [*]');
    expect(markdown).toContain('| DISPUTED | `ResolveDispute` |');
    expect(markdown).toContain('| CANCELLED | none (final) |');
  });
});
