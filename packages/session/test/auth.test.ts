import { reply } from "@lmail/codes";
import { describe, expect, it } from "vitest";
import { connection, rcptFilter, transcript } from "./helpers.js";

const tls = { protocol: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", implicit: true };
const onTls = { auth: true, connection: { ...connection, tls }, extensions: { size: false, eightBitMime: false, smtputf8: false, chunking: false, dsn: false, requireTls: false } };
const checkPassword = rcptFilter(reply(550, "5.1.1", "No such user"));

const EHLO_AUTH = `S: 250-mx.example Hello client.example
S: 250-PIPELINING
S: 250-ENHANCEDSTATUSCODES
S: 250 AUTH PLAIN LOGIN`;
const EHLO_AUTHED = `S: 250-mx.example Hello client.example
S: 250-PIPELINING
S: 250 ENHANCEDSTATUSCODES`;

describe("RFC 4954 AUTH", () => {
  it("§4: PLAIN with an initial response; the auth decision gets the credentials; a second AUTH gets 503", async () => {
    const d = await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_AUTH}
      C: AUTH PLAIN YWRtaW4AYm9iAHNlY3JldA==
      S: 235 2.7.0 Authentication successful
      C: AUTH PLAIN AGJvYgBzZWNyZXQ=
      S: 503 5.5.1 Error: already authenticated
      C: EHLO client.example
      ${EHLO_AUTHED}
      C: MAIL FROM:<a@example.org> AUTH=<>
      S: 250 2.1.0 Sender OK
    `,
      onTls,
      checkPassword,
    );
    expect(d.events.find((e) => e.type === "auth")).toEqual({
      type: "auth",
      credentials: { mechanism: "PLAIN", username: "bob", password: "secret", authorizationId: "admin" },
    });
    expect(d.session.info.user).toBe("bob");
    expect(d.events.find((e) => e.type === "mail")).toMatchObject({ params: { auth: null } });
  });

  it("§4: PLAIN without an initial response: an empty 334 challenge, then the response", async () => {
    const d = await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_AUTH}
      C: AUTH PLAIN
      S: 334
      C: AGJvYgBzZWNyZXQ=
      S: 235 2.7.0 Authentication successful
    `,
      onTls,
      checkPassword,
    );
    expect(d.events.find((e) => e.type === "auth")).toEqual({ type: "auth", credentials: { mechanism: "PLAIN", username: "bob", password: "secret" } });
  });

  it("LOGIN: Username: and Password: challenges, with and without an initial response", async () => {
    const d = await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_AUTH}
      C: AUTH LOGIN
      S: 334 VXNlcm5hbWU6
      C: Ym9i
      S: 334 UGFzc3dvcmQ6
      C: d3Jvbmc=
      S: 535 5.7.8 Error: authentication failed
      C: AUTH LOGIN Ym9i
      S: 334 UGFzc3dvcmQ6
      C: c2VjcmV0
      S: 235 2.7.0 Authentication successful
    `,
      onTls,
      checkPassword,
    );
    expect(d.events.filter((e) => e.type === "auth").map((e) => e.type === "auth" && e.credentials)).toEqual([
      { mechanism: "LOGIN", username: "bob", password: "wrong" },
      { mechanism: "LOGIN", username: "bob", password: "secret" },
    ]);
  });

  it("§4, §6: `*` cancels the exchange with 501 5.7.0; a bad base64 response gets 501", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_AUTH}
      C: AUTH LOGIN
      S: 334 VXNlcm5hbWU6
      C: *
      S: 501 5.7.0 Authentication cancelled
      C: AUTH PLAIN
      S: 334
      C: not base64!
      S: 501 5.5.2 Invalid base64 data
      C: AUTH PLAIN =
      S: 501 5.5.2 Malformed PLAIN response
      C: AUTH LOGIN
      S: 334 VXNlcm5hbWU6
      C: Ym9i
      S: 334 UGFzc3dvcmQ6
      C: ***
      S: 501 5.5.2 Invalid base64 data
      C: AUTH LOGIN AA==
      S: 501 5.5.2 Malformed LOGIN response
    `,
      onTls,
      checkPassword,
    );
  });

  it("a failure limit: the third failure gets 535 then 421 and the session closes", async () => {
    const d = await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_AUTH}
      C: AUTH PLAIN AGJvYgB3cm9uZw==
      S: 535 5.7.8 Error: authentication failed
      C: AUTH PLAIN AGJvYgB3cm9uZw==
      S: 535 5.7.8 Error: authentication failed
      C: AUTH PLAIN AGJvYgB3cm9uZw==
      S: 535 5.7.8 Error: authentication failed
      S: 421 4.7.0 mx.example Error: too many authentication failures, closing connection
      S: <closed>
    `,
      onTls,
      checkPassword,
    );
    expect(d.events.at(-1)).toEqual({ type: "close", reason: "too-many-errors" });
  });

  it("§4: 538 5.7.11 without TLS when TLS is required; AUTH not offered then", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      S: 250-mx.example Hello client.example
      S: 250-PIPELINING
      S: 250 ENHANCEDSTATUSCODES
      C: AUTH PLAIN AGJvYgBzZWNyZXQ=
      S: 538 5.7.11 Encryption required for requested authentication mechanism
    `,
      { ...onTls, connection },
      checkPassword,
    );
  });

  it("AUTH is refused in a transaction, after HELO, for unknown mechanisms, and when not configured", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: AUTH PLAIN AGJvYgBzZWNyZXQ=
      S: 503 Error: send EHLO first
      C: HELO client.example
      S: 250 mx.example
      C: AUTH PLAIN AGJvYgBzZWNyZXQ=
      S: 503 Error: send EHLO first
      C: EHLO client.example
      ${EHLO_AUTH}
      C: AUTH CRAM-MD5
      S: 504 5.5.4 Error: unrecognized authentication type
      C: MAIL FROM:<a@example.org>
      S: 250 2.1.0 Sender OK
      C: AUTH PLAIN AGJvYgBzZWNyZXQ=
      S: 503 5.5.1 Error: MAIL transaction in progress
    `,
      onTls,
      checkPassword,
    );
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      S: 250-mx.example Hello client.example
      S: 250-PIPELINING
      S: 250 ENHANCEDSTATUSCODES
      C: AUTH PLAIN AGJvYgBzZWNyZXQ=
      S: 502 5.5.1 Error: command not implemented
    `,
      { ...onTls, auth: false },
    );
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      S: 250-mx.example Hello client.example
      S: 250-PIPELINING
      S: 250-ENHANCEDSTATUSCODES
      S: 250 AUTH LOGIN
      C: AUTH PLAIN AGJvYgBzZWNyZXQ=
      S: 504 5.5.4 Error: unrecognized authentication type
    `,
      { ...onTls, auth: { mechanisms: ["LOGIN"] } },
    );
  });

  it("auth.required: MAIL before AUTH gets 530 5.7.0 (a submission server)", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_AUTH}
      C: MAIL FROM:<a@example.org>
      S: 530 5.7.0 Authentication required
      C: AUTH PLAIN AGJvYgBzZWNyZXQ=
      S: 235 2.7.0 Authentication successful
      C: MAIL FROM:<a@example.org>
      S: 250 2.1.0 Sender OK
    `,
      { ...onTls, auth: { required: true } },
      checkPassword,
    );
  });

  it("the application may answer with a reply: 454 4.7.0 is sent as is; a positive reply authenticates", async () => {
    let first = true;
    const d = await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_AUTH}
      C: AUTH PLAIN AGJvYgBzZWNyZXQ=
      S: 454 4.7.0 Temporary authentication failure
      C: AUTH PLAIN AGJvYgBzZWNyZXQ=
      S: 235 2.7.0 Welcome bob
    `,
      onTls,
      (e) => {
        if (e.type !== "auth") return undefined;
        const r = first ? reply(454, "4.7.0", "Temporary authentication failure") : reply(235, "2.7.0", "Welcome bob");
        first = false;
        return r;
      },
    );
    expect(d.session.info.user).toBe("bob");
  });

  it("a bare LF in an exchange line gets 500 5.5.2 and ends the exchange", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_AUTH}
      C: AUTH LOGIN
      S: 334 VXNlcm5hbWU6
      C~ Ym9i\\nYm9i\\r\\n
      S: 500 5.5.2 Bare CR or LF in command line
      C: NOOP
      S: 250 2.0.0 OK
    `,
      onTls,
      checkPassword,
    );
  });

  it("§4: an exchange line over the AUTH line limit gets 500 5.5.6", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_AUTH}
      C: AUTH PLAIN
      S: 334
      C: ${"QUFB".repeat(40)}
      S: 500 5.5.6 Authentication exchange line is too long
      C: NOOP
      S: 250 2.0.0 OK
    `,
      { ...onTls, limits: { maxAuthLineBytes: 100 } },
      checkPassword,
    );
  });

  it("RFC 3207 §4.2: the TLS reset forgets the authenticated user", async () => {
    const d = await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      S: 250-mx.example Hello client.example
      S: 250-STARTTLS
      S: 250 AUTH PLAIN LOGIN
      C: AUTH PLAIN AGJvYgBzZWNyZXQ=
      S: 235 Authentication successful
      C: STARTTLS
      S: 220 Ready to start TLS
      C: EHLO client.example
      S: 250-mx.example Hello client.example
      S: 250 AUTH PLAIN LOGIN
    `,
      { starttls: true, auth: { requireTls: false }, extensions: { pipelining: false, size: false, eightBitMime: false, smtputf8: false, enhancedStatusCodes: false, chunking: false, dsn: false, requireTls: false } },
      (e) => (e.type === "auth" ? true : undefined),
    );
    expect(d.session.info.user).toBeUndefined();
  });

});
