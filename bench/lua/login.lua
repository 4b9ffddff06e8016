-- Log-ins, cycling through a file of "email<TAB>password" lines (first script argument).
-- Second argument: "json" (Gatehouse) or "form" (fastapi-users' OAuth2 password form).
local bodies = {}
local n = 0
local content_type

local function form_escape(s)
  return (string.gsub(s, "[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  local form = args[2] == "form"
  content_type = form and "application/x-www-form-urlencoded" or "application/json"
  for line in io.lines(args[1]) do
    local email, password = string.match(line, "^([^\t]+)\t(.+)$")
    if email then
      if form then
        bodies[#bodies + 1] = "username=" .. form_escape(email) .. "&password=" .. form_escape(password)
      else
        bodies[#bodies + 1] = string.format('{"email":"%s","password":"%s"}', email, password)
      end
    end
  end
end

function request()
  n = n % #bodies + 1
  return wrk.format("POST", nil, { ["Host"] = wrk.headers["Host"],
                                   ["Content-Type"] = content_type }, bodies[n])
end
