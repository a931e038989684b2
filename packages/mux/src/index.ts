export { Mux, type MuxOptions, type HandlerErrorContext } from "./mux.js";
export { type RoutePredicate, isPostmaster } from "./route-table.js";
export { nullHandler } from "./null-handler.js";
export { rejectingHandler, UNKNOWN_RECIPIENT } from "./rejecting-handler.js";
export { LOCAL_ERROR } from "./replies.js";
export { FanOut, type FanOutOptions } from "./fan-out.js";
export type { Spill, SpillFactory } from "./spill.js";
export { toAsciiDomain, stripSubaddress } from "./normalize.js";
