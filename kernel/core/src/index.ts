export { createKernel, type KernelDeps } from "./kernel.js";
