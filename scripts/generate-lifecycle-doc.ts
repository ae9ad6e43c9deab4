/** Writes docs/lifecycle.md from the lifecycle table (npm run docs:lifecycle); --check only compares. */
// Relative, not @cards/domain: ts-node runs this without a path-alias resolver.
import { renderLifecycleMarkdown } from '../libs/card-domain/src/card/lifecycle-doc';
import { writeGeneratedDoc } from './generated-doc';

writeGeneratedDoc('lifecycle.md', renderLifecycleMarkdown(), 'docs:lifecycle');
