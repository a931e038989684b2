import { readFileSync } from "node:fs";

/** The daemon's version, from its package.json (read once at start). */
export const version: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
