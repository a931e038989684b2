/**
 * The constants and error texts of the Go seed package `lmail` (see shared/seeds), kept so that a
 * port from it finds every name. The seed's typos are corrected in the texts ("allocatio") and
 * in one name (`CodeSystemcStatus` is exported as `CodeSystemStatus`).
 */
import { ReplyCode } from "./reply-codes.js";

/** The seed's `Code*` constants, by their seed names. */
export const SeedCodes = {
  CodeSystemStatus: ReplyCode.SystemStatus,
  CodeHelp: ReplyCode.Help,
  CodeReady: ReplyCode.ServiceReady,
  CodeClosing: ReplyCode.ServiceClosing,
  CodeOk: ReplyCode.Ok,
  CodeUserNotLocal: ReplyCode.UserNotLocalWillForward,
  CodeUserNoVerify: ReplyCode.CannotVerifyUser,
  CodeStartMailInput: ReplyCode.StartMailInput,
  CodeNotAvailable: ReplyCode.ServiceNotAvailable,
  CodeMailboxNotAvailable: ReplyCode.MailboxBusy,
  CodeAborted: ReplyCode.LocalError,
  CodeInsufficientStorage: ReplyCode.InsufficientStorage,
  CodeTlsNotAvailable: ReplyCode.TemporaryFailure,
  CodeNotRecognized: ReplyCode.SyntaxError,
  CodeSyntaxError: ReplyCode.ParameterSyntaxError,
  CodeNotImplemented: ReplyCode.CommandNotImplemented,
  CodeBadSequence: ReplyCode.BadSequence,
  CodeParameterNotImplemented: ReplyCode.ParameterNotImplemented,
  CodeNotTaken: ReplyCode.MailboxUnavailable,
  CodeErrUserNotLocal: ReplyCode.UserNotLocal,
  CodeMailAborted: ReplyCode.ExceededStorage,
  CodeMailboxNameNotAllowed: ReplyCode.MailboxNameNotAllowed,
  CodeTransactionFailed: ReplyCode.TransactionFailed,
} as const;

/** The seed's `SmtpErrors`: texts of the permanent negative completion codes. */
export const SmtpErrors: Readonly<Record<500 | 501 | 502 | 503 | 504 | 550 | 551 | 552 | 553 | 554, string>> = {
  500: "Syntax Error, command not recognized",
  501: "Syntax Error in parameter or argument",
  502: "Command Not implemented",
  503: "Bad sequence of commands",
  504: "Parameter not implemented",
  550: "Requested action not taken: mailbox unavailable",
  551: "User not local; please try <forward-path>",
  552: "Requested mail action aborted: exceeded storage allocation",
  553: "Requested action not taken: mailbox name not allowed",
  554: "Transaction failed",
};
