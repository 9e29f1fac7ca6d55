-- wrk: a streamed chat completion of 50 tokens with a usage chunk (about 14 KB of events).
wrk.method = "POST"
wrk.body = '{"model":"m1","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello there"}],"max_tokens":50}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Mock-Completion-Tokens"] = "50"
