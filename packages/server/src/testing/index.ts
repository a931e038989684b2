/** @lmail/server/testing: run `@lmail/session/testing` transcripts against a real server socket. */
export { SocketDriver, type SocketDriverOptions } from "./socket-driver.js";
export { runTranscript, parseTranscript, TranscriptMismatchError } from "@lmail/session/testing";
