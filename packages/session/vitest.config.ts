import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.ts";

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      coverage: {
        provider: "v8",
        include: ["src/**/*.ts"],
        exclude: ["src/types.ts", "src/index.ts", "src/testing/index.ts"],
        reporter: ["text-summary", "text"],
        reportOnFailure: true,
        thresholds: { lines: 95, branches: 95 },
      },
    },
  }),
);
