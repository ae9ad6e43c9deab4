import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderSecurityMarkdown } from './security-doc';

const DOC = path.join(__dirname, '../../../../docs/security.md');

describe('docs/security.md', () => {
  it('is what the permission table renders', () => {
    let written = '';
    try {
      written = readFileSync(DOC, 'utf8');
    } catch {
      throw new Error(`${DOC} is missing: run \`npm run docs:security\``);
    }
    if (written !== renderSecurityMarkdown()) {
      throw new Error('docs/security.md is out of date with libs/platform/src/auth/permissions.ts: run `npm run docs:security`');
    }
  });

  it('shows every role against every endpoint', () => {
    const markdown = renderSecurityMarkdown();
    expect(markdown).toContain('| Endpoint | What it does | issuer | supervisor | agent | analyst | auditor | admin | Why |');
    expect(markdown).toContain('| `GET /health` | Liveness | public | public | public | public | public | public | probes carry no token |');
    expect(markdown).toContain('| `POST /v1/imports` | Import card histories (JSON Lines) |  |  |  |  |  | ✓ |  |');
    expect(markdown).toContain('| `GET /v1/cards/:cardId` | One card, from its stream | ✓ |  | ✓ |  | ✓ |  |  |');
    expect(markdown).toContain('| `analyst` | lists and reports');
    expect(markdown).toContain('| `POST /v1/cases/:caseId/assignment` | Assign a case: an agent takes one nobody holds; a supervisor assigns or reassigns any |  | ✓ | ✓ |');
  });
});
