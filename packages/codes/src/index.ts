export {
  ReplyCode,
  replyCodes,
  defaultText,
  isReplyCode,
  replyClass,
  type ReplyCodeName,
  type KnownReplyCode,
  type ReplyCodeNumber,
  type ReplyCodeInfo,
  type ReplyClass,
} from "./reply-codes.js";
export { SeedCodes, SmtpErrors } from "./seed-codes.js";
export {
  Enhanced,
  enhancedDetails,
  isEnhancedCode,
  describeEnhanced,
  type EnhancedCode,
  type EnhancedClass,
} from "./enhanced-codes.js";
export { reply, withText, isPositive, isIntermediate, isTransient, isPermanent, type Reply } from "./reply.js";
export {
  formatReply,
  encodeReply,
  neutraliseText,
  wrapText,
  MAX_REPLY_LINE_BYTES,
  type FormatOptions,
} from "./format.js";
export { SmtpError, isSmtpError, SMTP_ERROR_CODE } from "./smtp-error.js";
