// Reading an HTTP message head (or a whole message) into a Beast parser, as a plain loop of
// reads in the calling coroutine.
#pragma once

#include <boost/beast/core/read_size.hpp>

#include "net/asio.hpp"

namespace lmp::net {

// What http::async_read_header (whole = false) and http::async_read (whole = true) do, with
// the same errors (end_of_stream when the peer closed before sending anything, partial_message
// when it closed mid-message, the parser's limits), but without their three layers of composed
// operations: those cost a handler allocation and executor bookkeeping per read, and a post
// through the scheduler whenever the bytes were already buffered (the backend's head usually
// is, as its first read is made before this is called).
template <class Stream, bool isRequest>
awaitable<error_code> read_http(Stream& stream, beast::flat_buffer& buffer,
                                http::basic_parser<isRequest>& parser, bool whole) {
  if (whole) parser.eager(true);
  const auto done = [&] { return whole ? parser.is_done() : parser.is_header_done(); };
  while (!done()) {
    if (buffer.size() > 0) {
      error_code ec;
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec && ec != http::error::need_more) co_return ec;
      if (!ec && used > 0) continue;
    }
    const std::size_t size = beast::read_size(buffer, 65536);
    if (size == 0) co_return http::error::buffer_overflow;
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(size), use_nothrow);
    buffer.commit(n);
    if (ec == asio::error::eof) {
      if (!parser.got_some()) co_return http::error::end_of_stream;
      error_code eof_ec;
      parser.put_eof(eof_ec);  // completes a body that ends with the connection, else partial
      co_return eof_ec;
    }
    if (ec) co_return ec;
  }
  co_return error_code{};
}

}  // namespace lmp::net
