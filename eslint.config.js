import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/** The runtime boundary: only electron/main and electron/preload may load Electron at runtime. */
const noElectronAtRuntime = {
  'no-restricted-imports': [
    'error',
    {
      paths: [{ name: 'electron', allowTypeImports: true, message: 'Only electron/main and electron/preload may import electron at runtime; use `import type`.' }],
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'release/', 'test-results/', 'bench-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  { files: ['renderer/**'], ...reactHooks.configs.flat.recommended },
  {
    // Plain JavaScript (config, the benchmark's bare server) runs on Node.
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
  },
  {
    files: ['electron/core/**', 'electron/cli/**', 'shared/**', 'renderer/**', 'tests/**', 'bench/**'],
    rules: noElectronAtRuntime,
  },
);
