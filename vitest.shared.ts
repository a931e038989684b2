// Shared vitest settings for every package: a JSON report per package (read by
// scripts/test-all.mjs for the closing `N passed, N failed` line) beside the usual output.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", ["json", { outputFile: "test-results.json" }]],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
