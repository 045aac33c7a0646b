import { defineConfig } from "vite";

// Preact through the automatic JSX runtime (tsconfig: jsx react-jsx, jsxImportSource preact); no plugin needed.
export default defineConfig({
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 300 },
  // `pnpm --filter @argus/web dev`: the API of a server on :8080 behind Vite's dev server.
  server: { proxy: { "/api": { target: "http://127.0.0.1:8080", changeOrigin: false } } },
});
