-- wrk: a small non-streamed chat completion.
wrk.method = "POST"
wrk.body = '{"model":"m1","messages":[{"role":"user","content":"hello there"}],"max_tokens":16}'
wrk.headers["Content-Type"] = "application/json"
