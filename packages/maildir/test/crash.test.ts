import { spawn, spawnSync } from "node:child_process";
import { createHash, randomInt } from "node:crypto";
import { type FSWatcher, watch } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { cleanTmp, Maildir } from "../src/index.js";
import { names, tempDir } from "./helpers.js";

const packageDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/** The package compiled for the child (inside the package, so that @lmail/codes resolves). */
const buildDir = path.join(packageDir, "node_modules", ".cache", "crash-build");

/**
 * The child: delivers forever, into two maildirs at once (hard links) or into one folder, with
 * bodies streamed in small chunks and prints `ok <paths>` after each delivery resolved. Every
 * message carries its own length and SHA-256, so completeness is checkable.
 */
const child = `
import { createHash, randomBytes, randomInt } from "node:crypto";
import { deliver } from "./dist/index.js";
const [a, b] = process.argv.slice(2);
const pool = Array.from({ length: 8 }, (_, i) => randomBytes(randomInt(1, 512 * 1024)).toString("base64").replace(/(.{76})/g, "$1\\r\\n") + "\\r\\n");
const enc = new TextEncoder();
async function* chunks(data) {
  for (let i = 0; i < data.length; ) {
    const n = randomInt(1, 64 * 1024);
    yield data.subarray(i, i + n);
    i += n;
    await new Promise((r) => setImmediate(r));
  }
}
process.stdout.write("ready\\n");
for (let seq = 0; ; seq++) {
  const body = pool[seq % pool.length];
  const sha = createHash("sha256").update(body.replace(/\\r\\n/g, "\\n")).digest("hex");
  const text = "X-Seq: " + seq + "\\r\\nX-Length: " + Buffer.byteLength(body.replace(/\\r\\n/g, "\\n")) + "\\r\\nX-Sha256: " + sha + "\\r\\n\\r\\n" + body;
  const dest = seq % 3 === 2 ? a : [a, b];
  const { files } = await deliver(dest, chunks(enc.encode(text)), seq % 3 === 2 ? { folder: "Lists" } : {});
  process.stdout.write("ok " + files.map((f) => f.path).join(" ") + "\\n");
}
`;

beforeAll(async () => {
  await rm(buildDir, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const built = spawnSync(process.execPath, [tsc, "-p", path.join(packageDir, "tsconfig.build.json"), "--outDir", path.join(buildDir, "dist"), "--declaration", "false", "--declarationMap", "false", "--sourceMap", "false"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(built.status, built.stdout + built.stderr).toBe(0);
  await writeFile(path.join(buildDir, "child.mjs"), child);
}, 90_000);

/** True when `file` is a complete message: its body matches the length and SHA-256 in its header. */
async function complete(file: string): Promise<boolean> {
  const text = await readFile(file, "utf8");
  const split = text.indexOf("\n\n");
  if (split < 0) return false;
  const head = text.slice(0, split);
  const body = text.slice(split + 2);
  const length = /^X-Length: (\d+)$/m.exec(head)?.[1];
  const sha = /^X-Sha256: ([0-9a-f]{64})$/m.exec(head)?.[1];
  return length !== undefined && sha !== undefined && Buffer.byteLength(body) === Number(length) && createHash("sha256").update(body).digest("hex") === sha;
}

interface Round {
  reported: string[];
}

/** When a round kills its child: after `afterOks` reported deliveries (0: once it is ready), and then. */
interface Kill {
  readonly afterOks: number;
  /** "timer": `delayMs` later; "tmp": at the next file made or removed in `a/tmp/`, `delayMs` later. */
  readonly on: "timer" | "tmp";
  readonly delayMs: number;
}

/**
 * Start the child, SIGKILL it as `kill` says, and collect what it reported. The kill is tied to
 * what the child does (deliveries reported, a tmp file made), not to time since its start: on a
 * disk where an fsync takes 100 ms, or a machine so loaded that a delivery takes seconds, a fixed
 * delay might never see a delivery finish, or never land inside one.
 */
function round(a: string, b: string, kill: Kill): Promise<Round> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(buildDir, "child.mjs"), a, b], { stdio: ["ignore", "pipe", "pipe"] });
    const reported: string[] = [];
    let oks = 0;
    let out = "";
    let err = "";
    let armed = false;
    let watcher: FSWatcher | undefined;
    const fire = () => setTimeout(() => proc.kill("SIGKILL"), kill.delayMs);
    const arm = () => {
      armed = true;
      clearTimeout(guard);
      if (kill.on === "timer") fire();
      else {
        watcher = watch(path.join(a, "tmp"), () => {
          watcher?.close();
          fire();
        });
      }
    };
    const guard = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`child did not deliver ${String(kill.afterOks)} messages within 60 s: ${err}`));
    }, 60_000);
    proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
    proc.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      let nl: number;
      while ((nl = out.indexOf("\n")) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line === "ready") {
          if (kill.afterOks === 0) arm();
        } else if (line.startsWith("ok ")) {
          reported.push(...line.slice(3).split(" "));
          if (!armed && ++oks === kill.afterOks) arm();
        }
      }
    });
    proc.on("error", reject);
    proc.on("exit", (_code, signal) => {
      clearTimeout(guard);
      watcher?.close();
      if (signal !== "SIGKILL") reject(new Error(`child ended without being killed: ${err}`));
      else resolve({ reported });
    });
  });
}

describe("crash safety: a delivering process SIGKILLed at random points", () => {
  it("leaves only complete messages in new/, and every reported delivery is there", async () => {
    const root = await tempDir();
    const a = path.join(root, "a");
    const b = path.join(root, "b");
    await mkdir(root, { recursive: true });
    await new Maildir(a).ensure(); // a/tmp/ is watched from the first round on
    const rounds = 15;
    let reportedTotal = 0;
    let tmpLeftovers = 0;
    for (let i = 0; i < rounds; i++) {
      // A third of the rounds kill as the first delivery's tmp file appears (inside a delivery
      // whatever the machine's speed); a third let one delivery finish, then kill at a random
      // time; a third let two finish, then kill at a random point after the next tmp file appears.
      const kills: Kill[] = [
        { afterOks: 0, on: "tmp", delayMs: 0 },
        { afterOks: 1, on: "timer", delayMs: randomInt(0, 60) },
        { afterOks: 2, on: "tmp", delayMs: randomInt(0, 30) },
      ];
      const { reported } = await round(a, b, kills[i % 3]!);
      reportedTotal += reported.length;
      const dirs = [a, b, path.join(a, ".Lists")].map((d) => path.join(d, "new"));
      const present = new Set<string>();
      for (const dir of dirs) {
        for (const name of await names(dir)) {
          const file = path.join(dir, name);
          present.add(file);
          expect(await complete(file), `incomplete message in new/: ${file}`).toBe(true);
        }
      }
      for (const file of reported) expect(present.has(file), `reported but missing: ${file}`).toBe(true);
      // What a killed delivery leaves behind lives only in tmp/, and the cleaner takes it.
      for (const d of [a, b, path.join(a, ".Lists")]) {
        const left = (await names(path.join(d, "tmp"))).length;
        tmpLeftovers += left;
        expect(await cleanTmp(d, { maxAgeMs: 0, nowMs: Date.now() + 1000 })).toBe(left);
      }
    }
    // The kills did land while deliveries were under way (else the test proved nothing).
    expect(tmpLeftovers, "no kill hit a delivery in progress").toBeGreaterThan(0);
    expect(reportedTotal, "deliveries reported before the kills").toBeGreaterThanOrEqual(10);
  }, 120_000);
});
