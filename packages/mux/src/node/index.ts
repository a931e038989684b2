export { fileSpill, type FileSpillOptions } from "./file-spill.js";
