// An app that registers itself at Gatehouse (RFC 7591) with openid-client's
// dynamicClientRegistration, then signs one person in with the client it got:
// `GATEHOUSE_ISSUER=... REDIRECT_URI=... node register.mjs` prints one JSON line
// {client, authorization_url}, reads the callback URL (with the code) on stdin, and prints
// {id_token, userinfo} once the code grant, the id_token checks and userinfo have passed.
import { createInterface } from "node:readline";
import * as oidc from "openid-client";

const issuer = new URL(process.env.GATEHOUSE_ISSUER);
const redirect_uri = process.env.REDIRECT_URI;
// The issuer is plain http in the tests; openid-client refuses that unless told.
const config = await oidc.dynamicClientRegistration(issuer, {
  client_name: "Registered with openid-client", redirect_uris: [redirect_uri],
  grant_types: ["authorization_code"], response_types: ["code"],
  token_endpoint_auth_method: "none", scope: "openid email",
}, oidc.None(), { execute: [oidc.allowInsecureRequests] });

const verifier = oidc.randomPKCECodeVerifier();
const state = oidc.randomState();
const nonce = oidc.randomNonce();
const authorization_url = oidc.buildAuthorizationUrl(config, { redirect_uri,
  scope: "openid email", state, nonce, code_challenge_method: "S256",
  code_challenge: await oidc.calculatePKCECodeChallenge(verifier) });
console.log(JSON.stringify({ client: config.clientMetadata(), authorization_url }));

const lines = createInterface({ input: process.stdin });
for await (const callback of lines) {
  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce,
    idTokenExpected: true });
  const claims = tokens.claims();
  console.log(JSON.stringify({ id_token: claims,
    userinfo: await oidc.fetchUserInfo(config, tokens.access_token, claims.sub) }));
  break;
}
