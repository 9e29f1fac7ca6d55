// storage/sqlite Statement: a parameter that already holds a value is not bound again, and
// what a step reads is still exactly what was last asked for.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "storage/sqlite/sqlite_handle.hpp"

namespace lmp::storage::sqlite {
namespace {

class StatementTest : public testing::Test {
 protected:
  StatementTest() : db_(Database::open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) {
    db_.exec("CREATE TABLE t (a, b, c)");
    insert_ = db_.prepare("INSERT INTO t (a, b, c) VALUES (?, ?, ?)", true);
  }

  // Steps the insert and resets it the way the store does: bindings stay.
  void insert() {
    insert_.step();
    sqlite3_reset(insert_.get());
  }

  // The column of every row, as SQL text with its type ("null", "5 integer", "x text").
  std::vector<std::string> column(const char* name) {
    Statement q = db_.prepare(std::string("SELECT quote(") + name + "), typeof(" + name +
                              ") FROM t ORDER BY rowid");
    std::vector<std::string> out;
    while (q.step())
      out.push_back(std::string(q.column_view(0)) + " " + std::string(q.column_view(1)));
    return out;
  }

  Database db_;
  Statement insert_;
};

TEST_F(StatementTest, RepeatedValuesAreKeptAndChangedOnesBound) {
  insert_.bind_int(1, 5);
  insert_.bind_null(2);
  insert_.bind_double(3, 1.5);
  insert();
  insert_.bind_int(1, 5);  // same values: kept
  insert_.bind_null(2);
  insert_.bind_double(3, 1.5);
  insert();
  insert_.bind_int(1, 6);  // changed, and changed kinds
  insert_.bind_double(2, 2.5);
  insert_.bind_null(3);
  insert();
  insert_.bind_null(1);
  insert_.bind_int(2, 7);
  insert_.bind_int(3, 7);
  insert();
  EXPECT_EQ(column("a"),
            (std::vector<std::string>{"5 integer", "5 integer", "6 integer", "NULL null"}));
  EXPECT_EQ(column("b"),
            (std::vector<std::string>{"NULL null", "NULL null", "2.5 real", "7 integer"}));
  EXPECT_EQ(column("c"),
            (std::vector<std::string>{"1.5 real", "1.5 real", "NULL null", "7 integer"}));
}

TEST_F(StatementTest, DoublesAreComparedBitForBit) {
  insert_.bind_double(1, 0.0);
  insert();
  insert_.bind_double(1, -0.0);
  insert();
  Statement q = db_.prepare("SELECT a FROM t ORDER BY rowid");
  ASSERT_TRUE(q.step());
  EXPECT_FALSE(std::signbit(q.column_double(0)));
  ASSERT_TRUE(q.step());
  EXPECT_TRUE(std::signbit(q.column_double(0)));
}

TEST_F(StatementTest, IntegerAndRealOfTheSameValueStayDistinct) {
  insert_.bind_int(1, 2);
  insert();
  insert_.bind_double(1, 2.0);
  insert();
  EXPECT_EQ(column("a"), (std::vector<std::string>{"2 integer", "2.0 real"}));
}

TEST_F(StatementTest, StaticTextEqualInContentIsKeptAtItsOldAddress) {
  std::string first = "same";
  std::string second = "same";  // another buffer with the same bytes
  insert_.bind_text_static(1, first);
  insert();
  insert_.bind_text_static(1, second);
  insert();
  insert_.bind_text_static(1, "other");
  insert();
  EXPECT_EQ(column("a"), (std::vector<std::string>{"'same' text", "'same' text", "'other' text"}));
}

// The store formats each row's timestamp into the same buffer: a buffer rewritten in place is
// read again at the next step.
TEST_F(StatementTest, StaticTextRewrittenInPlaceIsReadAnew) {
  std::string buffer = "2026-01-01";
  insert_.bind_text_static(1, buffer);
  insert();
  buffer = "2026-12-31";
  insert_.bind_text_static(1, buffer);
  insert();
  EXPECT_EQ(column("a"), (std::vector<std::string>{"'2026-01-01' text", "'2026-12-31' text"}));
}

TEST_F(StatementTest, ResetClearsWhatWasBoundAndWhatWasRemembered) {
  insert_.bind_int(1, 5);
  insert_.bind_text_static(2, "x");
  insert_.step();
  insert_.reset();  // clears SQLite's bindings too
  insert_.bind_int(1, 5);
  insert_.bind_text_static(2, "x");
  insert();
  EXPECT_EQ(column("a"), (std::vector<std::string>{"5 integer", "5 integer"}));
  EXPECT_EQ(column("b"), (std::vector<std::string>{"'x' text", "'x' text"}));
}

TEST_F(StatementTest, ForgottenValuesAreBoundAgain) {
  auto text = std::make_unique<std::string>("first batch");
  insert_.bind_text_static(1, *text);
  insert();
  // The store's next batch: the old records are gone, their bytes must not be read.
  insert_.forget_bound_values();
  text.reset();
  const std::string next = "first batch";
  insert_.bind_text_static(1, next);
  insert();
  EXPECT_EQ(column("a"), (std::vector<std::string>{"'first batch' text", "'first batch' text"}));
}

TEST_F(StatementTest, TransientTextIsAlwaysBound) {
  insert_.bind_text(1, "a");
  insert();
  insert_.bind_text(1, "b");
  insert();
  insert_.bind_text_static(1, "b");
  insert();
  EXPECT_EQ(column("a"), (std::vector<std::string>{"'a' text", "'b' text", "'b' text"}));
}

}  // namespace
}  // namespace lmp::storage::sqlite
