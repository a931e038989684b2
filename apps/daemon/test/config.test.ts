import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, configSchema, flagOf, resolveConfig } from "../src/config.js";

const cwd = "/srv/lmail";

describe("configuration: defaults, config file, flags", () => {
  it("has the contract's defaults: 127.0.0.1:2525, ./maildir, domain localhost", () => {
    const c = resolveConfig({ cwd });
    expect(c.listen).toEqual([{ host: "127.0.0.1", port: 2525 }]);
    expect(c.listenTls).toEqual([]);
    expect(c.maildir).toBe("/srv/lmail/maildir");
    expect(c.domains).toEqual(["localhost"]);
    expect(c.mailboxes.size).toBe(0);
    expect(c.tls).toBeUndefined();
    expect(c.usersFile).toBeUndefined();
    expect(c.maxRecipients).toBe(100);
    expect(c.maxMessageBytes).toBe(25 * 1024 * 1024);
    expect(c.logFormat).toBe("json");
    expect(c.metrics).toBeUndefined();
  });

  it("every flag has a config key of the same name in camelCase", () => {
    const keys = Object.keys(configSchema.shape).map(flagOf).sort();
    expect(keys).toEqual([
      "--domain", "--hostname", "--listen", "--listen-tls", "--log-format", "--log-level", "--mailbox", "--maildir",
      "--max-connections", "--max-connections-per-address", "--max-message-bytes", "--max-recipients", "--metrics", "--tls-cert", "--tls-key", "--tls-self-signed", "--users",
    ]);
  });

  it("reads every key from the file; relative paths are relative to the file's directory", () => {
    const c = resolveConfig({
      cwd,
      file: {
        path: "etc/lmaild.json",
        data: {
          listen: ["0.0.0.0:25", "[::]:25"],
          listenTls: "0.0.0.0:465",
          tlsCert: "cert.pem",
          tlsKey: "/keys/key.pem",
          maildir: "../var/mail",
          domain: ["Example.COM", "bücher.example"],
          mailbox: ["Alice@example.com"],
          hostname: "mx.example.com",
          maxMessageBytes: 1000,
          maxRecipients: 5,
          maxConnections: 50,
          maxConnectionsPerAddress: 7,
          users: "users",
          logFormat: "pretty",
          logLevel: "debug",
          metrics: "127.0.0.1:9100",
        },
      },
    });
    expect(c.listen).toEqual([{ host: "0.0.0.0", port: 25 }, { host: "::", port: 25 }]);
    expect(c.listenTls).toEqual([{ host: "0.0.0.0", port: 465 }]);
    expect(c.tls).toEqual({ kind: "files", certFile: "/srv/lmail/etc/cert.pem", keyFile: "/keys/key.pem" });
    expect(c.maildir).toBe("/srv/lmail/var/mail");
    expect(c.domains).toEqual(["example.com", "xn--bcher-kva.example"]);
    expect(c.mailboxes).toEqual(new Map([["example.com", new Set(["alice"])]]));
    expect(c.usersFile).toBe(path.resolve("/srv/lmail/etc/users"));
    expect(c).toMatchObject({ hostname: "mx.example.com", maxMessageBytes: 1000, maxRecipients: 5, maxConnections: 50, maxConnectionsPerAddress: 7, logFormat: "pretty", logLevel: "debug", metrics: { host: "127.0.0.1", port: 9100 } });
  });

  it("a flag replaces the file's value (a repeated flag the whole list); flag paths are relative to the working directory", () => {
    const c = resolveConfig({
      cwd,
      file: { path: "/etc/lmaild.json", data: { domain: ["a.example", "b.example"], maildir: "/var/mail", maxRecipients: 7 } },
      flags: { domain: ["c.example"], maildir: "m" },
    });
    expect(c.domains).toEqual(["c.example"]);
    expect(c.maildir).toBe("/srv/lmail/m");
    expect(c.maxRecipients).toBe(7);
  });

  it.each([
    [{ listen: ["nowhere"] }, /config key "listen\[0\]": "nowhere" is not HOST:PORT/],
    [{ maxMessageBytes: -1 }, /config key "maxMessageBytes": must be greater than 0/],
    [{ maxRecipients: 1.5 }, /config key "maxRecipients": must be an integer/],
    [{ maxRecipients: "100" }, /config key "maxRecipients": Invalid input: expected number/],
    [{ logFormat: "xml" }, /config key "logFormat"/],
    [{ domain: ["not a domain"] }, /config key "domain\[0\]": "not a domain" is not a domain name/],
    [{ mailbox: ["../x@localhost"] }, /config key "mailbox\[0\]": the local part of "..\/x@localhost" contains a path separator/],
    [{ mailbox: ["a+b@localhost"] }, /has a \+tag/],
    [{ mailbox: ["a@elsewhere.example"] }, /config key "mailbox": a@elsewhere.example is not in a local domain/],
    [{ tlsCert: "c.pem" }, /config key "tlsKey": tlsCert and tlsKey go together/],
    [{ listenTls: ["127.0.0.1:465"] }, /config key "listenTls": implicit TLS needs a certificate/],
    [{ users: "users" }, /config key "users": AUTH is offered only under TLS/],
    [{ tlsSelfSigned: true, tlsCert: "c", tlsKey: "k" }, /config key "tlsSelfSigned": give either/],
    [{ listen: [] }, /nothing to listen on/],
    [{ lissten: ["127.0.0.1:25"] }, /unknown config key "lissten"/],
  ])("a bad config %j fails at once, naming the key and the problem", (data, message) => {
    expect(() => resolveConfig({ cwd, file: { path: "/etc/lmaild.json", data } })).toThrow(ConfigError);
    expect(() => resolveConfig({ cwd, file: { path: "/etc/lmaild.json", data } })).toThrow(message);
  });

  it("names the flag when a bad value came from the command line", () => {
    expect(() => resolveConfig({ cwd, flags: { metrics: "9100" } })).toThrow(/--metrics \(config key "metrics"\): "9100" is not HOST:PORT/);
  });

  it("refuses a file that is not a JSON object", () => {
    expect(() => resolveConfig({ cwd, file: { path: "x.json", data: [1] } })).toThrow(/must hold a JSON object/);
  });

  it("only --listen-tls means no plain listener; a single string is a one-item list", () => {
    const c = resolveConfig({ cwd, flags: { listenTls: "127.0.0.1:0", tlsSelfSigned: true } });
    expect(c.listen).toEqual([]);
    expect(c.tls).toEqual({ kind: "self-signed" });
  });
});
