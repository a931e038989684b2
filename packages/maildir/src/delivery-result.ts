/** One message file committed into a maildir's `new/`. */
export interface DeliveredFile {
  /** The maildir (or Maildir++ folder) directory. */
  readonly maildir: string;
  /** The file's full path in `new/`. */
  readonly path: string;
  /** The file's unique name. */
  readonly name: string;
  /** The file's size in bytes, prepended header fields included. */
  readonly bytes: number;
  /** True when this file is a hard link to the file of another maildir of the same delivery. */
  readonly linked: boolean;
}

/** What `deliver()` resolves to: every copy is durable. */
export interface DeliveryResult {
  /** One entry per distinct maildir, in the order given. */
  readonly files: readonly DeliveredFile[];
}

/** The outcome of one maildir in `deliverSettled()`. */
export type DeliveryOutcome =
  | { readonly ok: true; readonly file: DeliveredFile }
  | { readonly ok: false; readonly maildir: string; readonly error: unknown };
