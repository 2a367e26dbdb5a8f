// esbuild plugins for the core (scripts/build.mjs): stand-ins that keep work off a stdio `run`'s way to its
// first answers. Each loads or does what it stands in for on first use, and each fails the build when the
// module it stands in for changes shape, so an upgrade is looked at again.

import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Packages that only the help and usage layout needs (yargs -> cliui -> string-width) but that do costly
 * work when they load: string-width builds an Intl.Segmenter and Unicode-set regular expressions (ICU
 * data), a large share of `run`'s start-up for text that `run` never renders. Each import of them gets a
 * stand-in whose default export loads the real module on its first call (a require() inside the bundle,
 * which esbuild evaluates only then). The build fails if a package grows exports beyond the default.
 */
/** Where esbuild would resolve a module the lazy plugins stand in for (the real file, behind the stand-in). */
function resolveReal(build, args) {
  return build.resolve(args.path, {
    kind: args.kind,
    resolveDir: args.resolveDir,
    importer: args.importer,
    pluginData: { lazyReal: true },
  });
}

const LAZY_DEFAULT_EXPORTS = /^string-width$/;
export const lazyModules = {
  name: 'lazy-modules',
  setup(build) {
    build.onResolve({ filter: LAZY_DEFAULT_EXPORTS }, async (args) => {
      if (args.pluginData?.lazyReal) return undefined;
      const real = await resolveReal(build, args);
      if (real.errors.length) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy-module' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-module' }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const exported = [...text.matchAll(/^export\s+(default\s+)?/gm)];
      if (exported.length !== 1 || !exported[0][1]) {
        throw new Error(`build: ${args.path} must have exactly one export, a default one (lazy-modules)`);
      }
      return {
        contents: `let real;\nexport default function lazy(...a) {\n  real ??= require(${JSON.stringify(args.path)}).default;\n  return real(...a);\n}\n`,
        loader: 'js',
        resolveDir: path.dirname(args.path),
      };
    });
  },
};

/**
 * eventsource-parser/stream declares `class EventSourceParserStream extends TransformStream` when it loads,
 * which makes Node load its web streams implementation; the MCP client SDK imports it for HTTP upstreams
 * only, so every stdio proxy paid for it at start-up. The stand-in class builds the real stream on `new`
 * (loading the module then). The build fails if the module's exports change.
 */
const LAZY_CLASSES = { 'eventsource-parser/stream': ['EventSourceParserStream', 'ParseError'] };
export const lazyClasses = {
  name: 'lazy-classes',
  setup(build) {
    build.onResolve({ filter: /^eventsource-parser\/stream$/ }, async (args) => {
      if (args.pluginData?.lazyReal) return undefined;
      const real = await resolveReal(build, args);
      if (real.errors.length) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy-class', pluginData: { spec: args.path } };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-class' }, (args) => {
      const [cls, ...others] = LAZY_CLASSES[args.pluginData.spec];
      const text = readFileSync(args.path, 'utf8');
      const exported = /export\s*\{([^}]*)\}/
        .exec(text)?.[1]
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      if (JSON.stringify(exported?.sort()) !== JSON.stringify([cls, ...others].sort())) {
        throw new Error(`build: ${args.path} exports ${exported} (lazy-classes expects ${[cls, ...others]})`);
      }
      const real = `require(${JSON.stringify(args.path)})`;
      return {
        contents: [
          `export class ${cls} { constructor(...a) { return new (${real}.${cls})(...a); } }`,
          ...others.map(
            (name) => `export { ${name} } from ${JSON.stringify(path.join(path.dirname(args.path), 'index.js'))};`,
          ),
        ].join('\n'),
        loader: 'js',
        resolveDir: path.dirname(args.path),
      };
    });
  },
};

/**
 * Each MCP SDK package's Node shims import its JSON Schema validator (a bundled copy of AJV with its
 * formats, two in all), which evaluates all of AJV when it loads, and every Client and Server makes one.
 * The proxy validates against a JSON Schema rarely (a tool's output schema, an elicitation's answer): the
 * stand-in class makes the real validator, loading AJV, on its first use. The build fails if the class's
 * members or the module's exports change.
 */
const AJV_PROVIDER = /[\\/]@modelcontextprotocol[\\/](client|server)[\\/]dist[\\/]ajvProvider-\w+\.mjs$/;
const AJV_VALIDATOR_MEMBERS = [
  '_ajv',
  '_ajvDraft7',
  '_ajv2019',
  '_userAjv',
  'constructor',
  'get ajv',
  '_engineFor',
  'getValidator',
];
export const lazyValidator = {
  name: 'lazy-validator',
  setup(build) {
    build.onResolve({ filter: /^\.\/ajvProvider-\w+\.mjs$/ }, async (args) => {
      if (args.pluginData?.lazyReal || !/shimsNode\.mjs$/.test(args.importer)) return undefined;
      const real = await resolveReal(build, args);
      if (real.errors.length) return { errors: real.errors };
      if (!AJV_PROVIDER.test(real.path)) return undefined;
      return { path: real.path, namespace: 'lazy-validator' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-validator' }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const body = /var AjvJsonSchemaValidator = class \{\n([\s\S]*?)\n\};/.exec(text)?.[1] ?? '';
      const members = [...body.matchAll(/^\t(get \w+|\w+)(?:\(|;)/gm)].map((m) => m[1]);
      const exported = /^export \{ ([^}]*) \};$/m.exec(text)?.[1];
      if (
        JSON.stringify(members) !== JSON.stringify(AJV_VALIDATOR_MEMBERS) ||
        exported !== 'AjvJsonSchemaValidator as n, addFormats as r, Ajv as t'
      ) {
        throw new Error(`build: ${args.path} changed (lazy-validator): members ${members}, exports ${exported}`);
      }
      const real = `require(${JSON.stringify(args.path)})`;
      return {
        contents: [
          'export class n {',
          '  #args; #real;',
          '  constructor(...a) { this.#args = a; }',
          `  #get() { return (this.#real ??= new (${real}.n)(...this.#args)); }`,
          '  get ajv() { return this.#get().ajv; }',
          '  getValidator(schema) { return this.#get().getValidator(schema); }',
          '}',
        ].join('\n'),
        loader: 'js',
        resolveDir: path.dirname(args.path),
      };
    });
  },
};

/**
 * yargs' factory calls `.version()` on every instance it makes, which guesses the version by walking up
 * the directories from where yargs thinks the program lives (in a bundle: the directory holding
 * node_modules, or the working directory), reading each one, and parsing the first package.json found:
 * work on the way to a stdio proxy's first answer, for a flag the CLI turns off (`.version(false)`;
 * `mcp-proxy version` prints the build constants). The stand-in factory leaves that call out. The build
 * fails if the factory no longer has it, so a yargs upgrade is looked at again.
 */
const YARGS_GUESS = '        yargs.help();\n        yargs.version();\n';
export const yargsNoVersionGuess = {
  name: 'yargs-no-version-guess',
  setup(build) {
    build.onLoad({ filter: /[\\/]yargs[\\/]build[\\/]lib[\\/]yargs-factory\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (text.split(YARGS_GUESS).length !== 2) {
        throw new Error(
          `build: ${args.path} no longer calls yargs.version() once in its factory (yargs-no-version-guess)`,
        );
      }
      return { contents: text.replace(YARGS_GUESS, '        yargs.help();\n'), loader: 'js' };
    });
  },
};
