// Lint for the whole workspace. Beyond typescript-eslint's recommended rules it enforces the
// import graph of ../shared/DESIGN.md (README "Architecture"):
//  - a package imports another only by its name, through its `exports` (never `src/` or `dist/`,
//    never a relative path into another package);
//  - each package imports only the @lmail packages it is allowed to depend on;
//  - the pure packages (codes, parser, session, mux) use no Node API: no `node:*` or bare builtin
//    import, no Node global.
import { builtinModules } from "node:module";
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Which @lmail packages each workspace package may import (DESIGN.md, "who may import whom"). */
const allowedDeps = {
  codes: [],
  parser: ["codes"],
  session: ["parser", "codes"],
  mux: ["codes", "session", "parser"],
  maildir: ["codes", "session"],
  tls: [],
  server: ["session", "codes", "tls", "mux", "maildir", "parser"],
};
const allPackages = Object.keys(allowedDeps);
const purePackages = ["codes", "parser", "session", "mux"];

const nodeBuiltins = [...new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))];
const nodeGlobals = [
  "Buffer", "process", "global", "require", "module", "exports", "__dirname", "__filename",
  "setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate",
].map((name) => ({ name, message: "Pure packages use no Node API (DESIGN.md): take Uint8Array and return values." }));

const crossPackagePatterns = [
  {
    group: ["@lmail/*/src", "@lmail/*/src/*", "@lmail/*/dist", "@lmail/*/dist/*"],
    message: "Import another package only through its public `exports` (its package name).",
  },
  {
    group: ["**/packages/*/**", "../../*/src/**", "../../../packages/**", "**/apps/*/**"],
    message: "Never reach into another package by a relative path: import it by its package name.",
  },
];

function importRules(name, { src }) {
  const forbidden = allPackages.filter((p) => p !== name && !allowedDeps[name].includes(p));
  const patterns = [...crossPackagePatterns];
  if (forbidden.length > 0) {
    patterns.push({
      group: forbidden.map((p) => `@lmail/${p}`),
      message: `@lmail/${name} may import only ${allowedDeps[name].map((p) => `@lmail/${p}`).join(", ") || "no other @lmail package"} (DESIGN.md).`,
    });
  }
  const paths = src && purePackages.includes(name)
    ? nodeBuiltins.map((m) => ({ name: m, message: `@lmail/${name} is pure: no Node API (DESIGN.md).` }))
    : [];
  return { "no-restricted-imports": ["error", { paths, patterns }] };
}

export default tseslint.config(
  { ignores: ["**/dist/**", "**/coverage/**", "**/node_modules/**", "bench/**", "scripts/**", "**/*.config.*", "vitest.shared.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "no-restricted-syntax": [
        "error",
        { selector: "TSEnumDeclaration", message: "No enum: use an `as const` object and a literal union (DESIGN.md)." },
        { selector: "TSModuleDeclaration[kind='namespace']", message: "No namespace (DESIGN.md)." },
      ],
    },
  },
  ...allPackages.flatMap((name) => [
    { files: [`packages/${name}/src/**/*.ts`], rules: importRules(name, { src: true }) },
    { files: [`packages/${name}/test/**/*.ts`], rules: importRules(name, { src: false }) },
  ]),
  ...purePackages.map((name) => ({
    files: [`packages/${name}/src/**/*.ts`],
    ignores: [`packages/${name}/src/node/**`],
    rules: { "no-restricted-globals": ["error", ...nodeGlobals] },
  })),
  // A pure package may ship a Node-only adapter under src/node/, exported from its own subpath
  // (e.g. @lmail/mux/node); its core entry never imports it.
  ...purePackages.map((name) => ({
    files: [`packages/${name}/src/node/**/*.ts`],
    rules: importRules(name, { src: false }),
  })),
  {
    files: ["apps/daemon/src/**/*.ts", "apps/daemon/test/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: crossPackagePatterns }] },
  },
  {
    files: ["**/test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/unbound-method": "off",
    },
  },
);
