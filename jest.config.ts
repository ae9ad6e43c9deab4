import type { Config } from 'jest';

// ts-jest in transpile-only mode (isolatedModules): each file is compiled on its own, without type checking,
// which `npm test` does once for the whole repository with `tsc --noEmit` before jest starts. (swc would be
// faster, but its platform packages are not all in the registry this project installs from, and npm ci then
// refuses the lock file.) Decorator metadata, which Nest's DI needs, comes from tsconfig.json.
const transform: Config['transform'] = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
};

const moduleNameMapper: Config['moduleNameMapper'] = {
  '^@cards/domain(|/.*)$': '<rootDir>/libs/card-domain/src$1',
  '^@cards/application(|/.*)$': '<rootDir>/libs/card-application/src$1',
  '^@cards/event-store(|/.*)$': '<rootDir>/libs/event-store/src$1',
  '^@cards/notifications(|/.*)$': '<rootDir>/libs/notifications/src$1',
  '^@cards/platform(|/.*)$': '<rootDir>/libs/platform/src$1',
  '^@cards/read-store(|/.*)$': '<rootDir>/libs/read-store/src$1',
  '^@cards/security(|/.*)$': '<rootDir>/libs/security/src$1',
};

const shared = { transform, moduleNameMapper, testEnvironment: 'node', rootDir: __dirname };

const config: Config = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,scripts}/**/*.spec.ts'] },
    // bench/: the smoke test of `npm run bench` (its quick, cheap rows; it writes SQLite files as the store's int-specs do).
    { ...shared, displayName: 'integration', testMatch: ['<rootDir>/{apps,libs,bench}/**/*.int-spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/apps/**/test/**/*.e2e-spec.ts'] },
  ],
};

export default config;
