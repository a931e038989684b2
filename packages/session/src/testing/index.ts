/**
 * @lmail/session/testing: run `C:`/`S:` transcripts against the bare session or, with a driver of
 * your own (see {@link TranscriptDriver}), against a real server.
 */
export { parseTranscript, unescapeClientText, isLastReplyLine, TranscriptSyntaxError, type TranscriptStep } from "./transcript.js";
export { ReplyReader, type TranscriptDriver } from "./driver.js";
export { runTranscript, TranscriptMismatchError } from "./run.js";
export { SessionDriver, TEST_TLS, type Decider, type Decision, type SessionDriverOptions } from "./session-driver.js";
