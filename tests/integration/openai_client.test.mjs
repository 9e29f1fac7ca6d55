// The official openai npm client against the proxy: what real applications do.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startStack, uniqueModel, assertRecordInvariants } from './lib/harness.mjs';

const KEY = 'sk-test';

describe('openai npm client through the proxy', () => {
  let stack;
  let proxy;
  let client;

  before(async () => {
    stack = await startStack({ mock: { ttftMs: 5, tokensPerSecond: 1000 } });
    proxy = stack.proxy;
    client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: KEY, maxRetries: 0, timeout: 10000 });
  });

  after(async () => {
    await stack?.stop();
  });

  it('chat.completions.create (non-streaming)', async () => {
    const model = uniqueModel('oa-chat');
    const res = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Hello there' }],
      max_tokens: 12,
      temperature: 0.3,
    });
    assert.equal(res.model, model);
    assert.equal(res.choices.length, 1);
    assert.equal(res.choices[0].message.role, 'assistant');
    assert.ok(res.choices[0].message.content.length > 0);
    assert.equal(res.usage.completion_tokens, 12);
    assert.equal(res.usage.total_tokens, res.usage.prompt_tokens + res.usage.completion_tokens);

    const row = await proxy.recordFor(model);
    assertRecordInvariants(assert, row, { key: KEY });
    assert.equal(row.endpoint, 'chat/completions');
    assert.equal(row.success, 1);
    assert.equal(row.is_streaming, 0);
    assert.equal(row.message_count, 1);
    assert.equal(row.max_tokens, 12);
    assert.equal(row.temperature, 0.3);
    assert.equal(row.prompt_tokens, res.usage.prompt_tokens);
    assert.equal(row.completion_tokens, res.usage.completion_tokens);
    assert.equal(row.total_tokens, res.usage.total_tokens);
    assert.equal(row.finish_reason, res.choices[0].finish_reason);
  });

  it('chat.completions.create (streaming, include_usage)', async () => {
    const model = uniqueModel('oa-chat-s');
    const stream = await client.chat.completions.create({
      model,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Count.' },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    let usage = null;
    let finish = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices?.[0];
      if (choice?.delta?.content) content += choice.delta.content;
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    assert.ok(chunks > 3);
    assert.ok(content.length > 0);
    assert.ok(usage, 'usage chunk received');
    assert.ok(finish);

    const row = await proxy.recordFor(model);
    assertRecordInvariants(assert, row, { key: KEY });
    assert.equal(row.is_streaming, 1);
    assert.equal(row.success, 1);
    assert.equal(row.message_count, 2);
    assert.equal(row.prompt_tokens, usage.prompt_tokens);
    assert.equal(row.completion_tokens, usage.completion_tokens);
    assert.equal(row.total_tokens, usage.total_tokens);
    assert.equal(row.finish_reason, finish);
    assert.ok(row.time_to_first_token_ms !== null && row.time_to_last_token_ms !== null);
  });

  it('completions.create', async () => {
    const model = uniqueModel('oa-cmpl');
    const res = await client.completions.create({ model, prompt: 'Say this is a test', max_tokens: 5 });
    assert.equal(res.model, model);
    assert.equal(typeof res.choices[0].text, 'string');
    assert.equal(res.usage.completion_tokens, 5);
    const row = await proxy.recordFor(model);
    assert.equal(row.endpoint, 'completions');
    assert.equal(row.success, 1);
    assert.equal(row.completion_tokens, 5);
    assert.equal(row.prompt_tokens, res.usage.prompt_tokens);
  });

  it('embeddings.create (encoding_format float)', async () => {
    const model = uniqueModel('oa-emb');
    const res = await client.embeddings.create({ model, input: 'The food was delicious', encoding_format: 'float' });
    assert.equal(res.data.length, 1);
    assert.ok(res.data[0].embedding.length > 0);
    assert.ok(res.data[0].embedding.every((x) => typeof x === 'number'));
    const row = await proxy.recordFor(model);
    assert.equal(row.endpoint, 'embeddings');
    assert.equal(row.success, 1);
    assert.equal(row.prompt_tokens, res.usage.prompt_tokens);
  });

  it('embeddings.create with the library default (base64, decoded by the client) gives the same vector', async () => {
    // The library asks for encoding_format "base64" unless told otherwise; backends such as
    // vLLM and OpenAI answer with base64 strings, so the mock must too for this default path.
    const model = uniqueModel('oa-emb64');
    const input = 'The food was delicious';
    const floats = await client.embeddings.create({ model, input, encoding_format: 'float' });
    const res = await client.embeddings.create({ model, input });
    assert.equal(res.data.length, 1);
    const v = res.data[0].embedding;
    const f = floats.data[0].embedding;
    assert.equal(v.length, f.length, 'same dimensions');
    for (let i = 0; i < v.length; i += 1) assert.ok(Math.abs(v[i] - f[i]) < 1e-6, `component ${i}: ${v[i]} vs ${f[i]}`);
    const rows = await proxy.waitForRows(`select * from completion_requests where model = '${model}'`, 2);
    assert.equal(rows.length, 2);
    for (const row of rows) assert.equal(row.success, 1);
  });

  it('models.list is answered and not recorded', async () => {
    await proxy.assertNotRecorded(async () => {
      const page = await client.models.list();
      const ids = [];
      for await (const m of page) ids.push(m.id);
      assert.ok(ids.length > 0);
    });
  });

  it('a backend error surfaces as the client library error with its status', async () => {
    const model = uniqueModel('oa-429');
    await assert.rejects(
      client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }, { headers: { 'X-Mock-Status': '429' } }),
      (e) => e instanceof OpenAI.RateLimitError && e.status === 429,
    );
    const row = await proxy.recordFor(model);
    assert.equal(row.error_type, 'rate_limit');
  });
});
