// @lmail/server: the Node server, and the full install (re-exports of codes, session, tls, mux, maildir).

// The server
export { SmtpServer, createServer, clientKey, DEFAULT_CLOSE_DEADLINE_MS, type ListenOptions, type ListenerAddress, type CloseOptions } from "./server.js";
export { listenAndServe, listenAndServeTls, parseListenAddress } from "./listen-and-serve.js";
export {
  SERVER_DEFAULTS,
  type ServerOptions,
  type ProxyProtocolOptions,
  type ReverseResolver,
  type ResolvedOptions as ResolvedServerOptions,
} from "./options.js";
export type { SessionSettings } from "./session-settings.js";
export { ConnectionAbortedError } from "./connection.js";
export { BodyAbortedError } from "./body-stream.js";
export { LOCAL_ERROR } from "./hooks.js";
export { formatReceived, formatRfc5322Date, withProtocol, type ReceivedOptions } from "./received-header.js";
export {
  parseProxyHeader,
  formatProxyV1,
  PROXY_V2_SIGNATURE,
  type ProxyHeader,
  type ProxyTlv,
  type ProxySslInfo,
  type ProxyParseResult,
} from "./proxy-protocol.js";
export { ProxyProtocolError } from "./proxy-reader.js";
export {
  channelNames,
  type ConnectionMessage,
  type CommandMessage,
  type ReplyMessage,
  type TransactionMessage,
  type TlsMessage,
  type ErrorMessage,
} from "./channels.js";

// @lmail/codes
export {
  reply,
  withText,
  isPositive,
  isIntermediate,
  isTransient,
  isPermanent,
  ReplyCode,
  Enhanced,
  SmtpError,
  isSmtpError,
  formatReply,
  type Reply,
  type EnhancedCode,
  type ReplyCodeNumber,
} from "@lmail/codes";

// @lmail/session: the types every handler uses
export type {
  Handler,
  HookContext,
  HookReply,
  DataReply,
  IncomingMessage,
  HeaderField,
  SessionInfo,
  ConnectionInfo,
  TlsInfo,
  Envelope,
  Recipient,
  AuthCredentials,
  Protocol,
  AuthOptions,
  ExtensionOptions,
  SessionLimits,
} from "@lmail/session";
export { collapseReplies, defaultLimits } from "@lmail/session";

// @lmail/tls
export {
  TlsContextStore,
  generateSelfSigned,
  TlsConfigError,
  TlsHandshakeError,
  type TlsOptions,
  type CertificateSource,
  type PemFiles,
  type PemPair,
  type ReloadResult,
} from "@lmail/tls";

// @lmail/mux: routing recipients to handlers
export { Mux, nullHandler, rejectingHandler, UNKNOWN_RECIPIENT, FanOut, type MuxOptions, type RoutePredicate, type FanOutOptions, type Spill, type SpillFactory } from "@lmail/mux";
// the file-backed spill for a Mux whose handlers read at different speeds (Node only)
export { fileSpill, type FileSpillOptions } from "@lmail/mux/node";

// @lmail/maildir: crash-safe Maildir delivery
export {
  Maildir,
  deliver,
  deliverSettled,
  maildirHandler,
  cleanTmp,
  MaildirError,
  MaildirErrorCode,
  type MaildirDestination,
  type MaildirHandlerOptions,
  type DeliveryResult,
  type MessageBody,
} from "@lmail/maildir";
