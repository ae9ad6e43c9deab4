import type { Config } from 'jest';

// One transform for every project: swc, with decorator metadata so Nest's DI works in tests.
const transform: Config['transform'] = {
  '^.+\\.ts$': ['@swc/jest', {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  }],
};

const moduleNameMapper: Config['moduleNameMapper'] = {
  '^@cards/domain(|/.*)$': '<rootDir>/libs/card-domain/src$1',
  '^@cards/application(|/.*)$': '<rootDir>/libs/card-application/src$1',
  '^@cards/event-store(|/.*)$': '<rootDir>/libs/event-store/src$1',
  '^@cards/security(|/.*)$': '<rootDir>/libs/security/src$1',
};

const shared = { transform, moduleNameMapper, testEnvironment: 'node', rootDir: __dirname };

const config: Config = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,scripts}/**/*.spec.ts'] },
    { ...shared, displayName: 'integration', testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/apps/**/test/**/*.e2e-spec.ts'] },
  ],
};

export default config;
