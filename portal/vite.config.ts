import { paraglideVitePlugin } from "@inlang/paraglide-js";
import adapter from "@sveltejs/adapter-static";
import { sveltekit } from "@sveltejs/kit/vite";
import { defineConfig } from "vite";

// The build's output folder: app-files.ts builds into a temporary folder, then swaps it in.
const out = process.env.LATCHFLOW_PORTAL_OUT || "build";

export default defineConfig({
  plugins: [
    paraglideVitePlugin({
      project: "./project.inlang",
      outdir: "./src/lib/paraglide",
      // the locale the person picked in the switcher, else the browser's languages, else English
      strategy: ["localStorage", "preferredLanguage", "baseLocale"],
      emitGitIgnore: false,
    }),
    sveltekit({
      // a single-page app: the gateway serves 200.html for every page path (ADR 024)
      adapter: adapter({ pages: out, assets: out, fallback: "200.html", precompress: true }),
      paths: { base: "/portal", relative: false },
      output: { bundleStrategy: "split" },
    }),
  ],
  build: { target: "es2022", reportCompressedSize: false },
});
