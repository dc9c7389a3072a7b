import adapter from "@sveltejs/adapter-static";
import { sveltekit } from "@sveltejs/kit/vite";
import { defineConfig } from "vite";

// The build's output folder: app-files.ts builds into a temporary folder, then swaps it in.
const out = process.env.LATCHFLOW_ADMIN_OUT || "build";

export default defineConfig({
  plugins: [
    sveltekit({
      // a single-page app: the gateway serves 200.html for every page path (ADR 024, ADR 027)
      adapter: adapter({ pages: out, assets: out, fallback: "200.html", precompress: true }),
      paths: { base: "/admin", relative: false },
      output: { bundleStrategy: "split" },
    }),
  ],
  build: { target: "es2022", reportCompressedSize: false },
});
