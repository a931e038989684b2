import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { transitions, type Input, type State } from "../src/index.js";

const states: State[] = ["initial", "ready", "mail", "rcpt", "bdat", "bdat-failed"];
const verbs: Input[] = ["HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "VRFY", "EXPN", "HELP", "QUIT", "STARTTLS", "AUTH"];

/** Actions whose outcome is always ok: only their ok state is shown. */
const neverFails = new Set(["rset", "noop", "vrfy", "expn", "help", "quit", "bdat"]);

/** The command part of the transition table as markdown: cell = next state on success / on failure, or 503. */
export function commandTable(): string {
  const rows = verbs.map((v) => {
    const cells = states.map((s) => {
      const step = transitions[s][v];
      if (step === undefined) return "—";
      if ("refuse" in step) return "503";
      if (step.run === "bdat-refused") return "503 (octets read)";
      if (step.run === "no-recipients") return "503 or 554";
      if (neverFails.has(step.run)) return step.ok;
      const more = step.more === undefined ? "" : ` (…${step.more})`;
      return step.ok === step.fail ? `${step.ok}${more}` : `${step.ok} / ${step.fail}${more}`;
    });
    return `| ${v} | ${cells.join(" | ")} |`;
  });
  return [`| command | ${states.join(" | ")} |`, `|---|${states.map(() => "---").join("|")}|`, ...rows].join("\n");
}

describe("README", () => {
  it("shows the command part of the transition table as it is in src/transitions.ts", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toContain(commandTable());
  });
});
