// Flat config: typescript-eslint's recommended rules over the host, the webview and the tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// What a layer must not import, as regular expressions over the import's source text. Relative
// paths are matched by the folder they name, so `../node/x` and `../../src/node/x` both count.
const VSCODE = { regex: '^vscode$', message: 'only src/vscode, src/web and src/extension.ts talk to VS Code' };
const NODE_BUILTINS = {
  regex: '^(node:.*|fs|path|os|worker_threads|child_process|crypto|util|zlib|stream)$',
  message: 'node APIs belong in src/node (or src/cli); this layer also runs in a browser or web worker',
};
const layer = (files, ...patterns) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: patterns.map(({ regex, message }) => ({ regex, message })) }],
  },
});
// A relative import that climbs into one of these folders (`../host/…`, `../../src/node/…`).
const upper = (...names) => ({
  regex: `^(\\.\\./)+(src/)?(${names.join('|')})(/|$)`,
  message: `this layer must not import ${names.map((n) => (n === 'webview' ? 'webview/' : `src/${n}`)).join(', ')} (see ARCHITECTURE.md)`,
});
const boundaries = [
  // The attention core: pure maths and readers, used by every other layer.
  layer(
    ['src/core/**/*.ts'],
    VSCODE,
    NODE_BUILTINS,
    upper('protocol', 'host', 'node', 'vscode', 'web', 'cli', 'webview'),
  ),
  // The message protocol shared by the host and the webview.
  layer(['src/protocol/**/*.ts'], VSCODE, NODE_BUILTINS, upper('host', 'node', 'vscode', 'web', 'cli', 'webview')),
  // The browser-safe host side (sources, session, HTML): runs in node workers, web workers and report pages.
  layer(['src/host/**/*.ts'], VSCODE, NODE_BUILTINS, upper('node', 'vscode', 'web', 'cli', 'webview')),
  // Node-only code: worker threads and file reads; no VS Code, so the CLI and the tests can run it.
  layer(['src/node/**/*.ts'], VSCODE, upper('vscode', 'web', 'cli', 'webview')),
  // The command-line tool.
  layer(['src/cli/**/*.ts'], VSCODE, upper('vscode', 'web', 'webview')),
  // The VS Code glue, shared by the desktop and web builds: node code only through nodePlatform.ts,
  // the desktop build's one bridge (src/web has its own platform).
  {
    ...layer(['src/vscode/**/*.ts'], NODE_BUILTINS, upper('node', 'cli', 'webview')),
    ignores: ['src/vscode/nodePlatform.ts'],
  },
  layer(['src/vscode/nodePlatform.ts'], NODE_BUILTINS, upper('cli', 'webview')),
  // VS Code for the Web: a web worker, no node.
  layer(['src/web/**/*.ts'], NODE_BUILTINS, upper('node', 'cli', 'webview')),
  // The panel (browser): no VS Code API (it talks through postMessage), no node.
  layer(['webview/**/*.ts'], VSCODE, NODE_BUILTINS, upper('node', 'vscode', 'web', 'cli')),
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.vscode-test/**',
      'out/**',
      '**/*.d.ts',
      'assembly/**',
      'build/**',
      'test-results/**',
      'bench-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  // Layer boundaries (ARCHITECTURE.md): each folder may import only the layers below it.
  ...boundaries,
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
