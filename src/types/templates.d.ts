/** Text files inlined into the bundle by esbuild's text loader (scripts/build.mjs) and by vitest.config.ts. */
declare module '*.tmpl' {
  const text: string;
  export default text;
}
