// Unit tests of ovsdb-cli's ovsdb-client output formats (no server).
#include "tools/ovsdb-cli/ovs_format.h"

#include <gtest/gtest.h>

namespace ovnk::tools {
namespace {

using ovsdb::Atom;
using ovsdb::ColumnType;
using ovsdb::Datum;

TEST(OvsJson, SortsMembersAndKeepsCompactForm) {
  auto out = ovs_json(R"({"b": [1, 2.5, true, null], "a": {"z": "x", "y": -3}, "B": 1e3})");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, R"({"B":1000,"a":{"y":-3,"z":"x"},"b":[1,2.5,true,null]})");
}

TEST(OvsJson, EscapesLikeLibJson) {
  auto out = ovs_json("[\"q\\\"b\\\\s\\/t\\tn\\nc\\u0001 \\u00e9\"]");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "[\"q\\\"b\\\\s/t\\tn\\nc\\u0001 \xc3\xa9\"]");
  EXPECT_FALSE(ovs_json("[1,").ok());
}

TEST(OvsJson, RealsWithFifteenDigits) {
  auto out = ovs_json("[0.1, 1.0, 3.141592653589793238, 1e300]");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "[0.1,1,3.14159265358979,1e+300]");
}

TEST(OvsAtom, QuotesStringsThatAreNotIdentifiers) {
  EXPECT_EQ(ovs_atom_string(Atom::string("sw0")), "sw0");
  EXPECT_EQ(ovs_atom_string(Atom::string("a.b-c_9")), "a.b-c_9");
  EXPECT_EQ(ovs_atom_string(Atom::string("_x")), "_x");
  EXPECT_EQ(ovs_atom_string(Atom::string("2")), "\"2\"");
  EXPECT_EQ(ovs_atom_string(Atom::string("9x")), "\"9x\"");
  EXPECT_EQ(ovs_atom_string(Atom::string("")), "\"\"");
  EXPECT_EQ(ovs_atom_string(Atom::string("true")), "\"true\"");
  EXPECT_EQ(ovs_atom_string(Atom::string("a b")), "\"a b\"");
  EXPECT_EQ(ovs_atom_string(Atom::integer(-7)), "-7");
  EXPECT_EQ(ovs_atom_string(Atom::boolean(true)), "true");
  EXPECT_EQ(ovs_atom_string(Atom::real(0.5)), "0.5");
}

TEST(OvsDatum, ScalarsSetsAndMaps) {
  auto set_type = ovsdb::parse_column_type(R"({"key":"string","min":0,"max":"unlimited"})");
  auto map_type = ovsdb::parse_column_type(R"({"key":"string","value":"string","min":0,"max":"unlimited"})");
  auto optional_type = ovsdb::parse_column_type(R"({"key":"string","min":0,"max":1})");
  auto scalar_type = ovsdb::parse_column_type(R"("integer")");
  ASSERT_TRUE(set_type.ok() && map_type.ok() && optional_type.ok() && scalar_type.ok());
  EXPECT_EQ(ovs_datum_string(Datum::string_set({"b", "a"}), *set_type), "[a, b]");
  EXPECT_EQ(ovs_datum_string(Datum(), *set_type), "[]");
  EXPECT_EQ(ovs_datum_string(Datum::empty_map(), *map_type), "{}");
  EXPECT_EQ(ovs_datum_string(Datum::string_map({{"k", "v"}, {"a", "1"}}), *map_type), "{a=\"1\", k=v}");
  EXPECT_EQ(ovs_datum_string(Datum::string("x"), *optional_type), "x");
  EXPECT_EQ(ovs_datum_string(Datum(), *optional_type), "[]");
  EXPECT_EQ(ovs_datum_string(Datum::integer(3), *scalar_type), "3");
}

TEST(OvsTableFormat, PadsColumnsAndTrimsTrailingSpaces) {
  OvsTable t({"row", "action", "name"});
  t.add_row({"u1", "old", "long-name"});
  t.add_row({"", "new", ""});
  EXPECT_EQ(t.render(true),
            "row action name\n"
            "--- ------ ---------\n"
            "u1  old    long-name\n"
            "    new\n");
  EXPECT_TRUE(t.render(false).starts_with("\nrow "));
}

}  // namespace
}  // namespace ovnk::tools
