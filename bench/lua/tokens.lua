-- GET with a different bearer token on every request, cycling through a file of tokens
-- (one per line; its path is the first script argument). With more tokens than the
-- verified-token cache holds, cycling in order means every request misses the cache.
-- The second argument names a file keeping the position between runs: each run goes on
-- where the last one stopped, so that no run starts on tokens still in the cache.
local tokens = {}
next_token = 0  -- global: the main state reads it at the end (thread:get)
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  position_path = args[2]
  for line in io.lines(args[1]) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  local saved = io.open(args[2], "r")
  if saved then
    next_token = tonumber(saved:read("*l")) or 0
    saved:close()
  end
end

function request()
  next_token = next_token % #tokens + 1
  return wrk.format(nil, nil, { ["Host"] = wrk.headers["Host"],
                                ["Authorization"] = "Bearer " .. tokens[next_token] })
end

function bench_done()
  -- runs in the main script state, after the threads stopped
  local path = threads[1]:get("position_path")
  local out = io.open(path, "w")
  out:write(tostring(threads[1]:get("next_token")) .. "\n")
  out:close()
end
