#!/usr/bin/env bash
# Sends a varied mix of requests through a running proxy (several models, streamed and not,
# some failures and interrupted streams), for screenshots and manual checks of the dashboard.
# Usage: dashboard/tools/send-traffic.sh http://127.0.0.1:8001 [seconds]
set -euo pipefail
proxy=${1:?usage: send-traffic.sh PROXY_URL [SECONDS]}
seconds=${2:-60}
models=(llama3:8b llama3:8b qwen3:4b qwen3:4b mistral:7b gpt-oss:20b)
origins=(http://localhost:3000 http://localhost:3000 https://chat.example.com vscode-webview://continue "")
end=$((SECONDS + seconds))
i=0
while ((SECONDS < end)); do
  i=$((i + 1))
  model=${models[RANDOM % ${#models[@]}]}
  origin=${origins[RANDOM % ${#origins[@]}]}
  stream=$([ $((RANDOM % 3)) -gt 0 ] && echo true || echo false)
  headers=(-H 'Content-Type: application/json'
    -H "X-Mock-TTFT-Ms: $((80 + RANDOM % 400))"
    -H "X-Mock-Token-Interval-Ms: $((8 + RANDOM % 30))"
    -H "X-Mock-Completion-Tokens: $((10 + RANDOM % 120))")
  [ -n "$origin" ] && headers+=(-H "Origin: $origin")
  case $((RANDOM % 20)) in
    0) headers+=(-H 'X-Mock-Status: 429') ;;
    1) headers+=(-H 'X-Mock-Status: 500') ;;
    2) [ "$stream" = true ] && headers+=(-H 'X-Mock-Close-After-Events: 5') ;;
  esac
  body="{\"model\":\"$model\",\"stream\":$stream,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"Request $i: tell me something about the number $RANDOM.\"}]}"
  curl -s -o /dev/null "${headers[@]}" -d "$body" "$proxy/v1/chat/completions" &
  if ((i % 7 == 0)); then
    curl -s -o /dev/null -H 'Content-Type: application/json' -H 'Origin: http://localhost:3000' \
      -d '{"model":"nomic-embed-text","input":"embed me"}' "$proxy/v1/embeddings" &
  fi
  sleep "0.$((1 + RANDOM % 6))"
done
wait
