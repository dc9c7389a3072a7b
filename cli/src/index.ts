export { main } from "./main.js";
export { startEmbedded, startOne, type Started } from "./start.js";
