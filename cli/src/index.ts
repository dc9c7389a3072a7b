export { main } from "./main.js";
export { type Started, startEmbedded, startOne } from "./start.js";
