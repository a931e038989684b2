import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.ts";

// The interop tests run the real `lmaild` as a child process: global setup compiles it once into
// node_modules/.lmaild-test (never dist/, which turbo's build task may be writing at the same time).
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      globalSetup: ["test/support/build-daemon.ts"],
    },
  }),
);
