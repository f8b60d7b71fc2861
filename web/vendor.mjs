// Copies the third-party files the board serves from node_modules (installed with `npm ci`,
// pinned by package-lock.json) into static/vendor, where they are committed and embedded in the
// binary. `node vendor.mjs --check` fails when a committed file differs from its package's.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const fonts = [];
for (const weight of [400, 600, 700]) {
  for (const subset of ['vietnamese', 'latin-ext', 'latin']) {
    const f = `be-vietnam-pro-${subset}-${weight}-normal.woff2`;
    fonts.push([`@fontsource/be-vietnam-pro/files/${f}`, `fonts/${f}`]);
  }
}
const files = [
  ...fonts,
  ['@fontsource/be-vietnam-pro/LICENSE', 'fonts/LICENSE'],
  ['htm/preact/standalone.module.js', 'preact-htm/standalone.module.js'],
  ['htm/LICENSE', 'preact-htm/LICENSE-htm'],
  ['preact/LICENSE', 'preact-htm/LICENSE-preact'],
  ['react/umd/react.production.min.js', 'explorer/react.production.min.js'],
  ['react/LICENSE', 'explorer/LICENSE-react'],
  ['react-dom/umd/react-dom.production.min.js', 'explorer/react-dom.production.min.js'],
  ['react-dom/LICENSE', 'explorer/LICENSE-react-dom'],
  ['graphiql/graphiql.min.js', 'explorer/graphiql.min.js'],
  ['graphiql/graphiql.min.css', 'explorer/graphiql.min.css'],
  ['graphiql/LICENSE', 'explorer/LICENSE-graphiql'],
];

const check = process.argv.includes('--check');
let stale = 0;
for (const [from, to] of files) {
  const src = join(here, 'node_modules', from);
  const dst = join(here, 'static', 'vendor', to);
  if (check) {
    if (!existsSync(dst) || !readFileSync(src).equals(readFileSync(dst))) {
      console.error(`web/static/vendor/${to} differs from node_modules/${from}: run npm run vendor in web/ and commit`);
      stale++;
    }
    continue;
  }
  mkdirSync(dirname(dst), { recursive: true });
  copyFileSync(src, dst);
}
if (stale) process.exit(1);
console.log(check ? `vendored files match package-lock.json (${files.length})` : `copied ${files.length} files into static/vendor`);
