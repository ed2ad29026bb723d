-- One refresh-token chain per wrk thread (one connection each): every response's new
-- token is the next request's, as a real client rotates.
local tokens_file = os.getenv("WRK_TOKENS")
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  local index = 0
  for line in io.lines(tokens_file) do
    index = index + 1
    if index == counter then thread:set("token", line) end
  end
  table.insert(threads, thread)
end

function init(args)
  current = token
end

function request()
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"},
    '{"refresh_token":"' .. current .. '"}')
end

function response(status, headers, body)
  local next_token = string.match(body, '"refresh_token":"(rt_[^"]+)"')
  if next_token then current = next_token end
end
