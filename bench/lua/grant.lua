-- The OAuth client-credentials grant (RFC 6749 §4.4): one service client, its id and secret in
-- HTTP Basic (first script argument: the base64 of "id:secret"), a new access token each time.
local authorization

function init(args)
  authorization = "Basic " .. args[1]
end

function request()
  return wrk.format("POST", nil, {
    ["Host"] = wrk.headers["Host"],
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = authorization,
  }, "grant_type=client_credentials")
end
