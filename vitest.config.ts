import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Ink draws only its last frame when it sees CI set; the view tests need every frame.
    env: { CI: "false" },
  },
});
