-- wrk: a non-streamed chat completion with a 32 KB request body (one long user message).
wrk.method = "POST"
local prefix = '{"model":"m1","messages":[{"role":"user","content":"'
local suffix = '"}],"max_tokens":16}'
local filler = string.rep("lorem ipsum dolor sit amet ", 2000)
wrk.body = prefix .. filler:sub(1, 32768 - #prefix - #suffix) .. suffix
wrk.headers["Content-Type"] = "application/json"
