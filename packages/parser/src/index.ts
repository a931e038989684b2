export type * from "./types.js";
export { LineFramer, DEFAULT_MAX_COMMAND_LINE_BYTES } from "./line-framer.js";
export { parseCommand } from "./command.js";
export {
  parseReversePath,
  parseForwardPath,
  parseAddress,
  isPostmaster,
  MAX_LOCAL_PART_BYTES,
  MAX_PATH_BYTES,
} from "./address.js";
export {
  checkDomain,
  checkAddressLiteral,
  isIPv4,
  isIPv6,
  toLookupDomain,
  MAX_DOMAIN_BYTES,
  type DomainCheck,
  type LookupDomainOptions,
} from "./domain.js";
export {
  parseMailParameters,
  parseRcptParameters,
  parseSizeValue,
  MAX_SIZE_DIGITS,
  MAX_ENVID_CHARS,
  MAX_ORCPT_CHARS,
} from "./parameters.js";
export { decodeXtext, encodeXtext } from "./xtext.js";
export { ParserReplies } from "./replies.js";
export { DataDecoder, DEFAULT_MAX_TEXT_LINE_BYTES } from "./data-decoder.js";
export { BdatReader } from "./bdat-reader.js";
export { decodeBase64, encodeBase64, decodeSaslPlain, decodeSaslLogin, MAX_SASL_PLAIN_FIELD_BYTES } from "./sasl.js";
export { parseHeaderBlock, type HeaderField, type HeaderBlock } from "./header-block.js";
