import { defineConfig } from "vitest/config";

// Relative asset URLs: the same build is served at "/" (dashboard port) and at "/dashboard/"
// (metrics port) by the binary.
export default defineConfig({
  base: "./",
  build: {
    target: "es2022",
    // The binary embeds dist/; a file per hashed asset lets it mark them immutable.
    assetsDir: "assets",
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    // `npm run dev` talks to a locally running metrics API.
    proxy: {
      "/metrics": "http://localhost:8002",
      "/timeseries": "http://localhost:8002",
      "/completion_requests": "http://localhost:8002",
      "/health": "http://localhost:8002",
    },
  },
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
  },
});
