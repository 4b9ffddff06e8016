-- Refresh-token rotation chains: each wrk thread owns one session (run with -t N -c N, one
-- connection per thread) and always presents the cookie it got from its previous answer,
-- as a browser does. The file of starting tokens is in BENCH_REFRESH_TOKENS.
local threads = {}
local handed = 0

function setup(thread)
  if handed == 0 then
    starting = {}
    for line in io.lines(os.getenv("BENCH_REFRESH_TOKENS")) do
      if #line > 0 then starting[#starting + 1] = line end
    end
  end
  handed = handed + 1
  thread:set("cookie", starting[(handed - 1) % #starting + 1])
  thread:set("broken", 0)
  threads[#threads + 1] = thread
end

function request()
  return wrk.format("POST", nil, {
    ["Host"] = wrk.headers["Host"],
    ["Cookie"] = "refresh_token=" .. cookie,
    ["X-Requested-With"] = "wrk",
  }, "")
end

function response(status, headers, body)
  local set = headers["set-cookie"] or headers["Set-Cookie"]
  local value = set and string.match(set, "refresh_token=([^;]+)")
  if status == 200 and value then
    cookie = value
  else
    broken = broken + 1
  end
end

function bench_done()
  local broken_total = 0
  for _, thread in ipairs(threads) do broken_total = broken_total + thread:get("broken") end
  io.write(string.format('BENCH_EXTRA {"broken":%d}\n', broken_total))
end
