// Sign in with Gatehouse from a Node app on openid-client: `npm ci`, then
// `CLIENT_ID=... CLIENT_SECRET=... node app.mjs` and open http://127.0.0.1:5001/login.
import { randomBytes } from "node:crypto";
import http from "node:http";
import * as oidc from "openid-client";

const issuer = new URL(process.env.GATEHOUSE_ISSUER ?? "http://localhost:8080/api/auth");
const app = process.env.APP_URL ?? "http://127.0.0.1:5001";
// The issuer is plain http on a developer's machine; openid-client refuses that unless told.
const config = await oidc.discovery(issuer, process.env.CLIENT_ID, undefined,
  oidc.ClientSecretPost(process.env.CLIENT_SECRET), { execute: [oidc.allowInsecureRequests] });
const sessions = new Map(); // session id (cookie) -> what this app remembers of the person

const routes = {
  async "/login"(session) {
    Object.assign(session, { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(),
      nonce: oidc.randomNonce() });
    return redirect(oidc.buildAuthorizationUrl(config, { redirect_uri: `${app}/callback`,
      scope: "openid email", state: session.state, nonce: session.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(session.verifier),
      code_challenge_method: "S256" }));
  },
  async "/callback"(session, url) { // checks state, iss, the id_token's signature, aud, nonce
    const tokens = await oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier:
      session.verifier, expectedState: session.state, expectedNonce: session.nonce,
      idTokenExpected: true });
    Object.assign(session, { idToken: tokens.id_token, refreshToken: tokens.refresh_token });
    const claims = tokens.claims();
    return json({ id_token: claims,
      userinfo: await oidc.fetchUserInfo(config, tokens.access_token, claims.sub) });
  },
  async "/refresh"(session) {
    const tokens = await oidc.refreshTokenGrant(config, session.refreshToken);
    session.refreshToken = tokens.refresh_token;
    return json({ userinfo: await oidc.fetchUserInfo(config, tokens.access_token,
      oidc.skipSubjectCheck) });
  },
  async "/logout"(session) { // RP-initiated logout at Gatehouse's end_session_endpoint
    session.logoutState = oidc.randomState();
    return redirect(oidc.buildEndSessionUrl(config, { id_token_hint: session.idToken,
      post_logout_redirect_uri: `${app}/logged-out`, state: session.logoutState }));
  },
  async "/logged-out"(session, url) {
    if (!session.logoutState || url.searchParams.get("state") !== session.logoutState) {
      return json({ error: "state_mismatch" }, 400);
    }
    return json({ logged_out: true });
  },
};

const redirect = (location) => ({ status: 302, headers: { location: String(location) } });
const json = (body, status = 200) => ({ status, body: JSON.stringify(body),
  headers: { "content-type": "application/json" } });

http.createServer(async (req, res) => {
  const url = new URL(req.url, app);
  const sid = /(?:^|; )rp_sid=([\w-]+)/.exec(req.headers.cookie ?? "")?.[1]
    ?? randomBytes(16).toString("base64url");
  if (!sessions.has(sid)) sessions.set(sid, {});
  const route = routes[url.pathname];
  let answer;
  try {
    answer = route ? await route(sessions.get(sid), url) : json({ error: "not_found" }, 404);
  } catch (error) { // openid-client refused what the provider (or the browser) sent
    answer = json({ error: error.code ?? error.name, description: error.message }, 400);
  }
  res.writeHead(answer.status, { ...answer.headers,
    "set-cookie": `rp_sid=${sid}; Path=/; HttpOnly; SameSite=Lax` });
  res.end(answer.body);
}).listen(Number(new URL(app).port), "127.0.0.1");
