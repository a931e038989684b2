/**
 * Vitest global setup: compile lmaild (src/ → node_modules/.lmaild-test/dist) so that the interop
 * tests run the real executable with `node`, whatever state turbo's own build of dist/ is in.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const testBuildDir = path.join(packageDir, "node_modules", ".lmaild-test");

export default function setup(): void {
  rmSync(testBuildDir, { recursive: true, force: true });
  mkdirSync(testBuildDir, { recursive: true });
  // package.json beside dist/: "type": "module" for the compiled files, and the version for --version.
  copyFileSync(path.join(packageDir, "package.json"), path.join(testBuildDir, "package.json"));
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", path.join(packageDir, "tsconfig.build.json"), "--outDir", path.join(testBuildDir, "dist"), "--declaration", "false", "--declarationMap", "false", "--sourceMap", "false"], {
    cwd: packageDir,
    stdio: "inherit",
  });
}
