import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["shared/test/**/*.test.ts", "agent/test/**/*.test.ts", "server/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // ONNX sessions and ffmpeg use both cores; parallel files only fight over them.
    fileParallelism: false,
    pool: "forks",
  },
});
