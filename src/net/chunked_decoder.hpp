// Follows HTTP/1.1 chunked transfer coding (RFC 9112 7.1) byte by byte, across any split of
// the input: it yields the payload pieces and says where the message ends, so the proxy can
// relay a chunked body byte for byte while measuring what it carries.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lmp::net {

class ChunkedDecoder {
 public:
  enum class State {
    size,
    extension,
    size_lf,
    data,
    data_cr,
    data_lf,
    trailer_start,
    trailer,
    trailer_lf,
    final_lf,
    done,
    error
  };

  // Consumes bytes from `in` up to the end of the message (never past it), calling
  // on_data(std::string_view) for each piece of payload. Returns the number of bytes consumed;
  // fewer than in.size() only when the message ended or the coding is invalid.
  template <class OnData>
  std::size_t feed(std::string_view in, OnData&& on_data);

  bool done() const { return state_ == State::done; }
  bool failed() const { return state_ == State::error; }

 private:
  State state_ = State::size;
  std::uint64_t remaining_ = 0;  // payload bytes left in the current chunk
  int size_digits_ = 0;
};

template <class OnData>
std::size_t ChunkedDecoder::feed(std::string_view in, OnData&& on_data) {
  std::size_t i = 0;
  const std::size_t n = in.size();
  while (i < n) {
    const char c = in[i];
    switch (state_) {
      case State::size: {
        int digit = -1;
        if (c >= '0' && c <= '9') {
          digit = c - '0';
        } else if (c >= 'a' && c <= 'f') {
          digit = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
          digit = c - 'A' + 10;
        }
        if (digit >= 0) {
          if (++size_digits_ > 15) {  // beyond any sane chunk: refuse rather than overflow
            state_ = State::error;
            return i;
          }
          remaining_ = remaining_ * 16 + static_cast<unsigned>(digit);
          ++i;
        } else if (size_digits_ == 0) {
          state_ = State::error;
          return i;
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::extension;
          ++i;
        } else if (c == '\r') {
          state_ = State::size_lf;
          ++i;
        } else if (c == '\n') {  // a bare LF, tolerated as many servers do
          ++i;
          state_ = remaining_ == 0 ? State::trailer_start : State::data;
        } else {
          state_ = State::error;
          return i;
        }
        break;
      }
      case State::extension:
        ++i;
        if (c == '\r') {
          state_ = State::size_lf;
        } else if (c == '\n') {
          state_ = remaining_ == 0 ? State::trailer_start : State::data;
        }
        break;
      case State::size_lf:
        if (c != '\n') {
          state_ = State::error;
          return i;
        }
        ++i;
        state_ = remaining_ == 0 ? State::trailer_start : State::data;
        break;
      case State::data: {
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, n - i));
        on_data(in.substr(i, take));
        i += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::data_cr;
        break;
      }
      case State::data_cr:
        if (c == '\r') {
          state_ = State::data_lf;
        } else if (c == '\n') {  // a bare LF after the data
          state_ = State::size;
          size_digits_ = 0;
        } else {
          state_ = State::error;
          return i;
        }
        ++i;
        break;
      case State::data_lf:
        if (c != '\n') {
          state_ = State::error;
          return i;
        }
        ++i;
        state_ = State::size;
        size_digits_ = 0;
        remaining_ = 0;
        break;
      case State::trailer_start:  // after the last chunk: CRLF ends, anything else is a trailer
        ++i;
        if (c == '\r') {
          state_ = State::final_lf;
        } else if (c == '\n') {
          state_ = State::done;
          return i;
        } else {
          state_ = State::trailer;
        }
        break;
      case State::trailer:
        ++i;
        if (c == '\r') {
          state_ = State::trailer_lf;
        } else if (c == '\n') {
          state_ = State::trailer_start;
        }
        break;
      case State::trailer_lf:
        if (c != '\n') {
          state_ = State::error;
          return i;
        }
        ++i;
        state_ = State::trailer_start;
        break;
      case State::final_lf:
        if (c != '\n') {
          state_ = State::error;
          return i;
        }
        ++i;
        state_ = State::done;
        return i;
      case State::done:
      case State::error:
        return i;
    }
  }
  return i;
}

}  // namespace lmp::net
