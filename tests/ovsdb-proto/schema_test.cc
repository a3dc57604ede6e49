#include "ovsdb-proto/schema.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace ovnk::ovsdb {
namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* const kNbPath = "/usr/share/ovn/ovn-nb.ovsschema";

class NbSchema : public ::testing::Test {
 protected:
  void SetUp() override {
    auto text = read_file(kNbPath);
    if (!text) GTEST_SKIP() << kNbPath << " not installed";
    auto s = DatabaseSchema::parse(*text);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    schema_ = std::move(s).value();
  }
  DatabaseSchema schema_;
};

TEST_F(NbSchema, Shape) {
  EXPECT_EQ(schema_.name, "OVN_Northbound");
  EXPECT_FALSE(schema_.version.empty());
  EXPECT_FALSE(schema_.cksum.empty());
  const TableSchema* lsp = schema_.table("Logical_Switch_Port");
  ASSERT_NE(lsp, nullptr);
  EXPECT_FALSE(lsp->is_root);
  ASSERT_EQ(lsp->indexes.size(), 1u);
  EXPECT_EQ(lsp->indexes[0], std::vector<std::string>{"name"});
  const TableSchema* ls = schema_.table("Logical_Switch");
  ASSERT_NE(ls, nullptr);
  EXPECT_TRUE(ls->is_root);

  const ColumnSchema* addresses = lsp->column("addresses");
  ASSERT_NE(addresses, nullptr);
  EXPECT_EQ(addresses->type.key.type, AtomicType::kString);
  EXPECT_EQ(addresses->type.min, 0u);
  EXPECT_EQ(addresses->type.max, ColumnType::kUnlimited);
  EXPECT_TRUE(addresses->type.is_set());

  const ColumnSchema* tag_request = lsp->column("tag_request");
  ASSERT_NE(tag_request, nullptr);
  EXPECT_TRUE(tag_request->type.is_optional());
  EXPECT_EQ(tag_request->type.key.min_integer, 0);
  EXPECT_EQ(tag_request->type.key.max_integer, 4095);

  const ColumnSchema* ports = schema_.column("Logical_Switch", "ports");
  ASSERT_NE(ports, nullptr);
  EXPECT_EQ(ports->type.key.ref_table, "Logical_Switch_Port");
  EXPECT_EQ(ports->type.key.ref_type, RefType::kStrong);

  const ColumnSchema* options = lsp->column("options");
  ASSERT_NE(options, nullptr);
  EXPECT_TRUE(options->type.is_map());

  const ColumnSchema* direction = schema_.column("ACL", "direction");
  ASSERT_NE(direction, nullptr);
  ASSERT_TRUE(direction->type.key.enum_values.has_value());
  EXPECT_EQ(*direction->type.key.enum_values, Datum::string_set({"from-lport", "to-lport"}));
  EXPECT_TRUE(direction->type.is_scalar());

  const TableSchema* nb_global = schema_.table("NB_Global");
  ASSERT_NE(nb_global, nullptr);
  EXPECT_EQ(nb_global->max_rows, 1u);

  // Implicit columns.
  const ColumnSchema* uuid = lsp->column("_uuid");
  ASSERT_NE(uuid, nullptr);
  EXPECT_EQ(uuid->type.key.type, AtomicType::kUuid);
  EXPECT_FALSE(uuid->is_mutable);
  EXPECT_NE(lsp->column("_version"), nullptr);
  EXPECT_EQ(lsp->column("nope"), nullptr);
  EXPECT_EQ(schema_.table("Nope"), nullptr);
}

TEST_F(NbSchema, ValidationMessagesNameTheColumn) {
  const TableSchema& lsp = *schema_.table("Logical_Switch_Port");
  const ColumnSchema& addresses = *lsp.column("addresses");
  EXPECT_TRUE(addresses.validate(Datum::string_set({"0a:58:0a:f4:01:05 10.244.1.5"}), lsp.name).ok());
  EXPECT_TRUE(addresses.validate(Datum::empty_set(), lsp.name).ok());
  auto r = addresses.validate(Datum::integer(5), lsp.name);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "Logical_Switch_Port.addresses: expected string, got integer 5");
  EXPECT_EQ(r.error().code, errc::kType);

  r = addresses.validate(Datum::string_map({{"a", "b"}}), lsp.name);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("expected a set, got a map"), std::string::npos);

  const ColumnSchema& tag_request = *lsp.column("tag_request");
  r = tag_request.validate(Datum::integer(4096), lsp.name);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "Logical_Switch_Port.tag_request: 4096 is not in the valid range 0 to 4095 (inclusive)");
  EXPECT_EQ(r.error().code, errc::kConstraint);
  r = tag_request.validate(Datum::set({Atom::integer(1), Atom::integer(2)}), lsp.name);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "Logical_Switch_Port.tag_request: set must have 0 to 1 members but 2 are present");

  const ColumnSchema& name = *lsp.column("name");
  r = name.validate(Datum::empty_set(), lsp.name);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "Logical_Switch_Port.name: set must have 1 to 1 members but 0 are present");

  const ColumnSchema& direction = *schema_.column("ACL", "direction");
  r = direction.validate(Datum::string("sideways"), "ACL");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            R"(ACL.direction: "sideways" is not one of the allowed values (["set",["from-lport","to-lport"]]))");
  EXPECT_TRUE(direction.validate(Datum::string("to-lport"), "ACL").ok());

  const ColumnSchema& options = *lsp.column("options");
  EXPECT_TRUE(options.validate(Datum::string_map({{"requested-chassis", "node1"}}), lsp.name).ok());
  EXPECT_TRUE(options.validate(Datum::empty_map(), lsp.name).ok());
  EXPECT_FALSE(options.validate(Datum::empty_set(), lsp.name).ok());

  // Named uuids pass as uuids (they are resolved by the server).
  const ColumnSchema& ports = *schema_.column("Logical_Switch", "ports");
  EXPECT_TRUE(ports.validate(Datum::named_uuid("lsp0"), "Logical_Switch").ok());
}

TEST_F(NbSchema, ValidateRow) {
  const TableSchema& lsp = *schema_.table("Logical_Switch_Port");
  EXPECT_TRUE(lsp.validate_row({{"name", Datum::string("ns_pod")},
                                {"addresses", Datum::string_set({"0a:58:0a:f4:01:05 10.244.1.5"})}})
                  .ok());
  auto r = lsp.validate_row({{"frobs", Datum::string("x")}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "Logical_Switch_Port: no column named \"frobs\"");
  r = lsp.validate_row({{"_uuid", Datum::uuid(Uuid{})}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("cannot be written"), std::string::npos);
}

TEST_F(NbSchema, DefaultValues) {
  EXPECT_EQ(schema_.column("Logical_Switch_Port", "name")->type.default_value(), Datum::string(""));
  EXPECT_EQ(schema_.column("Logical_Switch_Port", "addresses")->type.default_value(), Datum::empty_set());
  EXPECT_EQ(schema_.column("Logical_Switch_Port", "options")->type.default_value(), Datum::empty_map());
  EXPECT_EQ(schema_.column("ACL", "priority")->type.default_value(), Datum::integer(0));
}

TEST(Schema, EveryInstalledSchemaParses) {
  int parsed = 0;
  for (const char* path : {"/usr/share/ovn/ovn-nb.ovsschema", "/usr/share/ovn/ovn-sb.ovsschema",
                           "/usr/share/openvswitch/vswitch.ovsschema",
                           "/usr/share/openvswitch/local-config.ovsschema"}) {
    auto text = read_file(path);
    if (!text) continue;
    auto s = DatabaseSchema::parse(*text);
    ASSERT_TRUE(s.ok()) << path << ": " << s.error().to_string();
    EXPECT_FALSE(s->tables.empty()) << path;
    for (const auto& [name, t] : s->tables) {
      EXPECT_EQ(name, t.name);
      EXPECT_NE(t.column("_uuid"), nullptr);
    }
    ++parsed;
  }
  if (parsed == 0) GTEST_SKIP() << "no schema installed";
}

TEST(Schema, VswitchDetails) {
  auto text = read_file("/usr/share/openvswitch/vswitch.ovsschema");
  if (!text) GTEST_SKIP();
  auto s = DatabaseSchema::parse(*text);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->name, "Open_vSwitch");
  const ColumnSchema* stats = s->column("Open_vSwitch", "statistics");
  ASSERT_NE(stats, nullptr);
  EXPECT_TRUE(stats->ephemeral);
  EXPECT_TRUE(stats->type.is_map());
  const ColumnSchema* ofport_request = s->column("Interface", "ofport_request");
  ASSERT_NE(ofport_request, nullptr);
  EXPECT_EQ(ofport_request->type.key.min_integer, 1);
  EXPECT_FALSE(s->table("Interface")->is_root);
  EXPECT_FALSE(s->table("Port")->is_root);
  EXPECT_FALSE(s->table("Bridge")->is_root);  // referenced by Open_vSwitch.bridges
  EXPECT_TRUE(s->table("Open_vSwitch")->is_root);
}

TEST(Schema, NoIsRootMeansEveryTableIsRoot) {
  auto s = DatabaseSchema::parse(R"({"name":"db","tables":{"A":{"columns":{"x":{"type":"integer"}}},
                                   "B":{"columns":{}}}})");
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_TRUE(s->table("A")->is_root);
  EXPECT_TRUE(s->table("B")->is_root);
  EXPECT_EQ(s->version, "");
}

TEST(Schema, ColumnTypeForms) {
  auto t = parse_column_type(R"({"key":{"type":"string","minLength":2,"maxLength":3},"min":0,"max":5})");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->max, 5u);
  EXPECT_TRUE(t->check(Datum::string_set({"ab", "abc"})).ok());
  auto r = t->check(Datum::string("a"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, R"("a" length 1 is less than minimum allowed length 2)");
  r = t->check(Datum::string("abcd"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, R"("abcd" length 4 is greater than maximum allowed length 3)");
  // Length counts characters: "é" is one.
  EXPECT_FALSE(t->check(Datum::string("\xc3\xa9")).ok());
  EXPECT_TRUE(t->check(Datum::string("\xc3\xa9\xc3\xa9")).ok());

  auto real = parse_column_type(R"({"key":{"type":"real","minReal":0.5,"maxReal":2}})");
  ASSERT_TRUE(real.ok());
  EXPECT_TRUE(real->check(Datum::real(1.5)).ok());
  EXPECT_TRUE(real->check(Datum::integer(1)).ok());
  r = real->check(Datum::real(3.0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "3.0 is not in the valid range 0.5 to 2.0 (inclusive)");

  auto imin = parse_column_type(R"({"key":{"type":"integer","minInteger":1}})");
  ASSERT_TRUE(imin.ok());
  EXPECT_EQ(imin->check(Datum::integer(0)).error().message, "0 is less than minimum allowed value 1");
  auto imax = parse_column_type(R"({"key":{"type":"integer","maxInteger":1}})");
  EXPECT_EQ(imax->check(Datum::integer(2)).error().message, "2 is greater than maximum allowed value 1");

  auto weak = parse_column_type(R"({"key":{"type":"uuid","refTable":"T","refType":"weak"},"min":0,"max":"unlimited"})");
  ASSERT_TRUE(weak.ok());
  EXPECT_EQ(weak->key.ref_type, RefType::kWeak);

  auto benum = parse_column_type(R"({"key":{"type":"integer","enum":3}})");
  ASSERT_TRUE(benum.ok()) << benum.error().to_string();
  EXPECT_TRUE(benum->check(Datum::integer(3)).ok());
  EXPECT_FALSE(benum->check(Datum::integer(4)).ok());
}

TEST(Schema, RejectsInconsistentSchemas) {
  struct Case {
    const char* json;
    const char* needle;
  };
  for (const Case& c : std::vector<Case>{
           {R"([])", "must be a JSON object"},
           {R"({"tables":{}})", "\"name\""},
           {R"({"name":"d"})", "\"tables\""},
           {R"({"name":"d","tables":{"T":{}}})", "columns"},
           {R"({"name":"d","tables":{"T":{"columns":{"c":{}}}}})", "T.c: column needs a \"type\""},
           {R"({"name":"d","tables":{"T":{"columns":{"c":{"type":"frob"}}}}})", "unknown atomic type"},
           {R"({"name":"d","tables":{"T":{"columns":{"c":{"type":{"key":"string","min":2,"max":3}}}}}})",
            "min must be 0 or 1"},
           {R"({"name":"d","tables":{"T":{"columns":{"c":{"type":{"key":"string","max":0}}}}}})", "max"},
           {R"({"name":"d","tables":{"T":{"columns":{"c":{"type":{"key":"string","max":"lots"}}}}}})",
            "unlimited"},
           {R"({"name":"d","tables":{"T":{"columns":{"c":{"type":{"key":{"type":"string","minInteger":1}}}}}}})",
            "minInteger\" is present but not allowed"},
           {R"({"name":"d","tables":{"T":{"columns":{"c":{"type":{"key":{"type":"integer","minInteger":5,"maxInteger":1}}}}}}})",
            "minInteger exceeds maxInteger"},
           {R"({"name":"d","tables":{"T":{"columns":{"c":{"type":{"key":{"type":"uuid","refTable":"X"}}}}}}})",
            "refTable \"X\" is not a table"},
           {R"({"name":"d","tables":{"T":{"columns":{"c":{"type":{"key":{"type":"uuid","refType":"weak"}}}}}}})",
            "refType without refTable"},
           {R"({"name":"d","tables":{"T":{"columns":{"_c":{"type":"string"}}}}})", "reserved"},
           {R"({"name":"d","tables":{"T":{"columns":{"c":{"type":"string"}},"indexes":[["d"]]}}})",
            "unknown column"},
           {R"({"name":"d","tables":{"T":{"columns":{"c":{"type":"string"}},"maxRows":0}}})", "maxRows"},
           {R"({"name":"d","tables":{"T":{"columns":{"c":{"type":{"key":{"type":"string","enum":["set",[1]]}}}}}}})",
            "enum"},
           {R"({"name":"d","tables":{"T":{"columns":{"c":{"type":{"key":"string","frob":1}}}}}})",
            "not allowed here"},
           {"{", "invalid JSON"},
       }) {
    auto s = DatabaseSchema::parse(c.json);
    ASSERT_FALSE(s.ok()) << c.json;
    EXPECT_NE(s.error().message.find(c.needle), std::string::npos) << c.json << " -> " << s.error().message;
  }
}

}  // namespace
}  // namespace ovnk::ovsdb
