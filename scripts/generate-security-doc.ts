/** Writes docs/security.md from the permission table (npm run docs:security); --check only compares. */
import './register-path-aliases';
// Relative, not @cards/platform: the library's index would load the whole of Nest for one function.
import { renderSecurityMarkdown } from '../libs/platform/src/auth/security-doc';
import { writeGeneratedDoc } from './generated-doc';

writeGeneratedDoc('security.md', renderSecurityMarkdown(), 'docs:security');
