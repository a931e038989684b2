export type * from "./types.js";
export { NEED_DATA, PAUSED } from "./types.js";
