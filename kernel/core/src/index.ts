export { builtinPlugins, createKernel, type KernelDeps } from "./kernel.js";
