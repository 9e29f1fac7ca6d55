// Reading HTTP/1 messages on the proxy's path: a head (net/http_head.hpp parses it), a body of a
// known length, a chunked body. Plain loops of reads in the calling coroutine, with Beast's
// error codes: end_of_stream when the peer closed before sending a byte of the message,
// partial_message when it closed in the middle, header_limit and body_limit.
#pragma once

#include <boost/beast/core/read_size.hpp>

#include <string>
#include <string_view>

#include "net/asio.hpp"
#include "net/chunked_decoder.hpp"
#include "net/http_head.hpp"

namespace lmp::net {

inline std::string_view readable(const beast::flat_buffer& buffer) {
  return {static_cast<const char*>(buffer.data().data()), buffer.size()};
}

// Whether `buffer` already starts with a whole head of at most `limit` bytes: sets `head_size`
// to its length, or to 0 when more bytes are needed; an error when they would not help.
// `searched`: how much of the buffer an earlier call looked at (updated). Empty lines before
// the head are dropped when `skip_empty_lines` (requests).
inline error_code buffered_head(beast::flat_buffer& buffer, std::size_t limit,
                                bool skip_empty_lines, std::size_t& head_size,
                                std::size_t* searched = nullptr) {
  std::size_t from = searched ? *searched : 0;
  if (skip_empty_lines) {
    if (const std::size_t empty = leading_empty_lines(readable(buffer)); empty > 0) {
      buffer.consume(empty);
      from = 0;
    }
  }
  const std::string_view data = readable(buffer);
  head_size = find_head_end(data, from);
  if (searched) *searched = data.size();
  if (head_size > 0) return head_size > limit ? http::error::header_limit : error_code{};
  if (data.size() >= limit) return http::error::header_limit;
  return {};
}

// The coroutines below run on the executor type of the stream they read: loop_awaitable for the
// proxy's LoopSocket and the TLS stream over it (net/asio.hpp), so that their reads carry no
// type-erased executor; awaitable for a stream on any_io_executor.
template <class Stream, class T>
using stream_awaitable = asio::awaitable<T, typename Stream::executor_type>;

// Reads until `buffer` starts with a whole head (buffered_head), and sets `head_size`.
template <class Stream>
stream_awaitable<Stream, error_code> read_head(Stream& stream, beast::flat_buffer& buffer,
                                               std::size_t limit, bool skip_empty_lines,
                                               std::size_t& head_size) {
  std::size_t searched = 0;
  for (;;) {
    if (auto ec = buffered_head(buffer, limit, skip_empty_lines, head_size, &searched);
        ec || head_size > 0)
      co_return ec;
    const std::size_t size = beast::read_size(buffer, 65536);
    if (size == 0) co_return http::error::header_limit;
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(size), use_nothrow);
    buffer.commit(n);
    if (ec == asio::error::eof)
      co_return buffer.size() == 0 ? http::error::end_of_stream : http::error::partial_message;
    if (ec) co_return ec;
  }
}

// Reads until `buffer` holds at least `size` bytes, in reads as large as what is missing.
template <class Stream>
stream_awaitable<Stream, error_code> read_at_least(Stream& stream, beast::flat_buffer& buffer,
                                                   std::size_t size) {
  if (buffer.size() < size) buffer.reserve(size);
  while (buffer.size() < size) {
    auto [ec, n] =
        co_await stream.async_read_some(buffer.prepare(size - buffer.size()), use_nothrow);
    buffer.commit(n);
    if (ec == asio::error::eof) co_return http::error::partial_message;
    if (ec) co_return ec;
  }
  co_return error_code{};
}

// Reads a chunked body from `buffer` and then `stream`, appending its payload to `body`
// (at most `limit` bytes of it) and consuming its bytes, trailers included, from `buffer`.
template <class Stream>
stream_awaitable<Stream, error_code> read_chunked_body(Stream& stream, beast::flat_buffer& buffer,
                                                       std::size_t limit, std::string& body) {
  ChunkedDecoder decoder;
  bool over_limit = false;
  for (;;) {
    const std::size_t used = decoder.feed(readable(buffer), [&](std::string_view payload) {
      if (body.size() + payload.size() > limit)
        over_limit = true;
      else if (!over_limit)
        body.append(payload);
    });
    buffer.consume(used);
    if (over_limit) co_return http::error::body_limit;
    if (decoder.failed()) co_return http::error::bad_chunk;
    if (decoder.done()) co_return error_code{};
    const std::size_t size = beast::read_size(buffer, 65536);
    if (size == 0) co_return http::error::buffer_overflow;
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(size), use_nothrow);
    buffer.commit(n);
    if (ec == asio::error::eof) co_return http::error::partial_message;
    if (ec) co_return ec;
  }
}

}  // namespace lmp::net
