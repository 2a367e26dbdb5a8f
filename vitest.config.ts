import { defineConfig } from 'vitest/config';

export default defineConfig({
  // templates/*.tmpl are imported as text, as esbuild's text loader does in scripts/build.mjs.
  plugins: [
    {
      name: 'text-templates',
      transform(code: string, id: string) {
        if (id.endsWith('.tmpl')) return { code: `export default ${JSON.stringify(code)};`, map: null };
        return undefined;
      },
    },
  ],
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Real child processes and sockets: two cores, so keep parallelism modest.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
