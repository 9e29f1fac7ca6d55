#include "support/json_writer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>

namespace lmp::json {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

std::string json_quoted(std::string_view s) {
  std::string out;
  append_quoted(out, s);
  return out;
}

std::string number(double v, int decimals = 2) {
  std::string out;
  append_number(out, v, decimals);
  return out;
}

const std::string kReplacement = "\xEF\xBF\xBD";

TEST(AppendQuoted, PlainText) {
  EXPECT_EQ(json_quoted(""), R"("")");
  EXPECT_EQ(json_quoted("hello world"), R"("hello world")");
}

TEST(AppendQuoted, AppendsToExistingText) {
  std::string out = "x=";
  append_quoted(out, "y");
  EXPECT_EQ(out, R"(x="y")");
}

TEST(AppendQuoted, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(json_quoted(R"(say "hi")"), R"("say \"hi\"")");
  EXPECT_EQ(json_quoted(R"(C:\path\)"), R"("C:\\path\\")");
  EXPECT_EQ(json_quoted(R"(\")"), R"("\\\"")");
}

TEST(AppendQuoted, SlashIsNotEscaped) {
  EXPECT_EQ(json_quoted("a/b"), R"("a/b")");
}

TEST(AppendQuoted, ShortEscapesForCommonControlCharacters) {
  EXPECT_EQ(json_quoted("a\nb"), R"("a\nb")");
  EXPECT_EQ(json_quoted("a\rb"), R"("a\rb")");
  EXPECT_EQ(json_quoted("a\tb"), R"("a\tb")");
  EXPECT_EQ(json_quoted("a\bb"), R"("a\bb")");
  EXPECT_EQ(json_quoted("a\fb"), R"("a\fb")");
}

TEST(AppendQuoted, OtherControlCharactersAsUnicodeEscapes) {
  EXPECT_EQ(json_quoted("\0"sv), R"("\u0000")");
  EXPECT_EQ(json_quoted("\x01"), R"("\u0001")");
  EXPECT_EQ(json_quoted("\x1b[0m"), R"("\u001b[0m")");
  EXPECT_EQ(json_quoted("\x1f"), R"("\u001f")");
  // DEL (0x7f) is allowed unescaped in JSON.
  EXPECT_EQ(json_quoted("\x7f"), "\"\x7f\"");
  EXPECT_EQ(json_quoted(" "), R"(" ")");
}

TEST(AppendQuoted, EveryControlCharacterIsEscaped) {
  for (int c = 0; c < 0x20; ++c) {
    const std::string in(1, static_cast<char>(c));
    const std::string out = json_quoted(in);
    ASSERT_GE(out.size(), 4u) << c;
    EXPECT_EQ(out[1], '\\') << c;
    for (char ch : out) EXPECT_GE(static_cast<unsigned char>(ch), 0x20) << c;
  }
}

TEST(AppendQuoted, ValidMultiByteUtf8IsKept) {
  EXPECT_EQ(json_quoted("caf\xC3\xA9"), "\"caf\xC3\xA9\"");            // 2 bytes
  EXPECT_EQ(json_quoted("\xE2\x82\xAC 5"), "\"\xE2\x82\xAC 5\"");      // 3 bytes (euro)
  EXPECT_EQ(json_quoted("\xF0\x9F\x98\x80"), "\"\xF0\x9F\x98\x80\"");  // 4 bytes (emoji)
  EXPECT_EQ(json_quoted("\xE6\x97\xA5\xE6\x9C\xAC"), "\"\xE6\x97\xA5\xE6\x9C\xAC\"");
  EXPECT_EQ(json_quoted("\xF4\x8F\xBF\xBF"), "\"\xF4\x8F\xBF\xBF\"");  // U+10FFFF, the last one
  EXPECT_EQ(json_quoted("\xEF\xBF\xBD"), "\"\xEF\xBF\xBD\"");          // U+FFFD itself
}

TEST(AppendQuoted, InvalidUtf8IsReplaced) {
  // A lone continuation byte.
  EXPECT_EQ(json_quoted("a\x80z"), "\"a" + kReplacement + "z\"");
  // A byte that never occurs in UTF-8.
  EXPECT_EQ(json_quoted("\xFF"), "\"" + kReplacement + "\"");
  EXPECT_EQ(json_quoted("\xFE"), "\"" + kReplacement + "\"");
  // Overlong encodings.
  EXPECT_EQ(json_quoted("\xC0\xAF"), "\"" + kReplacement + kReplacement + "\"");
  EXPECT_EQ(json_quoted("\xC1\xBF"), "\"" + kReplacement + kReplacement + "\"");
  EXPECT_EQ(json_quoted("\xE0\x80\xAF"), "\"" + kReplacement + kReplacement + kReplacement + "\"");
  // A UTF-16 surrogate encoded in UTF-8 (U+D800).
  EXPECT_EQ(json_quoted("\xED\xA0\x80"), "\"" + kReplacement + kReplacement + kReplacement + "\"");
  // Beyond U+10FFFF.
  EXPECT_EQ(json_quoted("\xF4\x90\x80\x80"),
            "\"" + kReplacement + kReplacement + kReplacement + kReplacement + "\"");
}

TEST(AppendQuoted, TruncatedSequencesAreReplacedAndTheRestKept) {
  // A 3-byte lead followed by only one continuation byte, then ASCII.
  EXPECT_EQ(json_quoted("\xE2\x82z"), "\"" + kReplacement + kReplacement + "z\"");
  // Cut at the end of the input.
  EXPECT_EQ(json_quoted("ok\xF0\x9F\x98"),
            "\"ok" + kReplacement + kReplacement + kReplacement + "\"");
  EXPECT_EQ(json_quoted("ok\xC3"), "\"ok" + kReplacement + "\"");
  // The valid character after an invalid byte survives.
  EXPECT_EQ(json_quoted("\x80\xC3\xA9"), "\"" + kReplacement + "\xC3\xA9\"");
}

TEST(AppendNumber, RoundsToTwoDecimals) {
  EXPECT_EQ(number(63.714), "63.71");
  EXPECT_EQ(number(63.716), "63.72");
  EXPECT_EQ(number(0.125), "0.13");
  EXPECT_EQ(number(1.5), "1.5");
  EXPECT_EQ(number(-2.345678), "-2.35");
  EXPECT_EQ(number(0.01), "0.01");
  EXPECT_EQ(number(1234567.891), "1234567.89");
}

TEST(AppendNumber, OtherDecimalCounts) {
  EXPECT_EQ(number(3.14159, 3), "3.142");
  EXPECT_EQ(number(3.14159, 0), "3.0");
  std::string out;
  append_number(out, 0.000025, 6);
  EXPECT_DOUBLE_EQ(std::stod(out), 0.000025);
  EXPECT_EQ(out.find('E'), std::string::npos);
}

TEST(AppendNumber, WholeNumbersKeepOneDecimal) {
  EXPECT_EQ(number(63), "63.0");
  EXPECT_EQ(number(63.0001), "63.0");
  EXPECT_EQ(number(62.999), "63.0");
  EXPECT_EQ(number(0), "0.0");
  EXPECT_EQ(number(-7), "-7.0");
  EXPECT_EQ(number(1e12), "1000000000000.0");
}

TEST(AppendNumber, NoNegativeZero) {
  EXPECT_EQ(number(-0.0), "0.0");
  EXPECT_EQ(number(-0.001), "0.0");
  EXPECT_EQ(number(-0.004), "0.0");
}

TEST(AppendNumber, NonFiniteIsNull) {
  EXPECT_EQ(number(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(number(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(number(-std::numeric_limits<double>::infinity()), "null");
}

TEST(AppendNumber, NeverScientificForOrdinaryValues) {
  for (double v : {0.1, 0.05, 12345.67, 99999999.99, 1e-2}) {
    const std::string s = number(v);
    EXPECT_EQ(s.find_first_of("eE"), std::string::npos) << s;
    EXPECT_NEAR(std::stod(s), v, 0.005) << s;
  }
}

TEST(Writer, EmptyObjectAndArray) {
  std::string out;
  Writer(out).begin_object().end_object();
  EXPECT_EQ(out, "{}");
  out.clear();
  Writer(out).begin_array().end_array();
  EXPECT_EQ(out, "[]");
}

TEST(Writer, ObjectWithEveryValueKind) {
  std::string out;
  Writer w(out);
  w.begin_object()
      .key("s")
      .value("text")
      .key("cs")
      .value(std::string_view("view"))
      .key("t")
      .value(true)
      .key("f")
      .value(false)
      .key("i")
      .value(42)
      .key("big")
      .value(std::int64_t{9'007'199'254'740'993})
      .key("neg")
      .value(-3)
      .key("d")
      .value(63.0)
      .key("d3")
      .value(1.23456, 3)
      .key("n")
      .null()
      .key("raw")
      .raw(R"({"a":[1,2]})")
      .end_object();
  EXPECT_EQ(out, R"({"s":"text","cs":"view","t":true,"f":false,"i":42,"big":9007199254740993,)"
                 R"("neg":-3,"d":63.0,"d3":1.235,"n":null,"raw":{"a":[1,2]}})");
}

TEST(Writer, BoolIsNotTakenForAString) {
  std::string out;
  Writer(out).begin_array().value(true).value("true").end_array();
  EXPECT_EQ(out, R"([true,"true"])");
}

TEST(Writer, KeysAreEscaped) {
  std::string out;
  Writer(out).begin_object().key("a\"b\n").value(1).end_object();
  EXPECT_EQ(out, R"({"a\"b\n":1})");
}

TEST(Writer, NestedContainersGetCommasRight) {
  std::string out;
  Writer w(out);
  w.begin_object();
  w.key("a").begin_array();
  w.value(1).value(2);
  w.begin_object().key("x").value(1).key("y").begin_array().end_array().end_object();
  w.begin_array().value("p").begin_array().value("q").end_array().end_array();
  w.begin_object().end_object();
  w.end_array();
  w.key("b").begin_object().key("c").null().key("d").begin_object().end_object().end_object();
  w.key("e").value(1.5);
  w.end_object();
  EXPECT_EQ(out, R"({"a":[1,2,{"x":1,"y":[]},["p",["q"]],{}],"b":{"c":null,"d":{}},"e":1.5})");
}

TEST(Writer, ArrayOfObjects) {
  std::string out;
  Writer w(out);
  w.begin_array();
  for (int i = 0; i < 3; ++i) w.begin_object().key("i").value(i).end_object();
  w.end_array();
  EXPECT_EQ(out, R"([{"i":0},{"i":1},{"i":2}])");
}

TEST(Writer, RawValuesInAnArrayAreSeparated) {
  std::string out;
  Writer(out).begin_array().raw("1").raw("{}").raw("[2]").end_array();
  EXPECT_EQ(out, "[1,{},[2]]");
}

TEST(Writer, ValueOrNull) {
  std::string out;
  Writer w(out);
  w.begin_array()
      .value_or_null(std::optional<std::int64_t>{})
      .value_or_null(std::optional<std::int64_t>{7})
      .value_or_null(std::optional<double>{})
      .value_or_null(std::optional<double>{2.0})
      .value_or_null(std::optional<double>{1.23456}, 4)
      .value_or_null(std::optional<double>{std::nan("")})
      .string_or_null("")
      .string_or_null("s")
      .end_array();
  EXPECT_EQ(out, R"([null,7,null,2.0,1.2346,null,null,"s"])");
}

TEST(Writer, ValueOrNullAfterKeys) {
  std::string out;
  Writer(out)
      .begin_object()
      .key("a")
      .value_or_null(std::optional<std::int64_t>{})
      .key("b")
      .value_or_null(std::optional<double>{0.5})
      .key("c")
      .string_or_null("")
      .end_object();
  EXPECT_EQ(out, R"({"a":null,"b":0.5,"c":null})");
}

TEST(Writer, AppendsToExistingOutput) {
  std::string out = "prefix:";
  Writer(out).begin_array().value(1).end_array();
  EXPECT_EQ(out, "prefix:[1]");
}

TEST(Writer, InvalidUtf8InValuesStaysValid) {
  std::string out;
  Writer(out).begin_object().key("k").value("\xFF").end_object();
  EXPECT_EQ(out, "{\"k\":\"" + kReplacement + "\"}");
}

}  // namespace
}  // namespace lmp::json
