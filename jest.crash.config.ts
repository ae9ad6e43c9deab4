import type { Config } from 'jest';
import base from './jest.config';

// `npm run test:crash`: the full crash test (apps/card-api/test/crash/, *.crash-spec.ts), which the default projects
// do not match. The e2e project's settings, another file pattern.
const e2e = (base.projects as Config[]).find((project) => project.displayName === 'e2e')!;

const config: Config = { ...e2e, displayName: 'crash', testMatch: ['<rootDir>/apps/**/test/**/*.crash-spec.ts'] };

export default config;
