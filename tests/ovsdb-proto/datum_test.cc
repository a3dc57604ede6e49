#include "ovsdb-proto/datum.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_set>

#include "ovsdb-proto/schema.h"
#include "ovsdb-proto/uuid.h"

namespace ovnk::ovsdb {
namespace {

// The single atom of a scalar datum; aborts the test binary otherwise.
const Atom& only(const Datum& d) {
  const Atom* a = d.as_scalar();
  if (a == nullptr) std::abort();
  return *a;
}

const char* const kU1 = "0123abcd-4567-89ab-cdef-0123456789ab";

TEST(Uuid, ParseFormatRoundTrip) {
  auto u = Uuid::parse(kU1);
  ASSERT_TRUE(u.ok()) << u.error().to_string();
  EXPECT_EQ(u->to_string(), kU1);
  EXPECT_EQ(u->bytes[0], 0x01);
  EXPECT_EQ(u->bytes[15], 0xab);
  // Upper case accepted, formatted lower.
  auto upper = Uuid::parse("0123ABCD-4567-89AB-CDEF-0123456789AB");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(*upper, *u);
}

TEST(Uuid, RejectsMalformed) {
  for (const char* bad : {"", "0123abcd-4567-89ab-cdef-0123456789a", "0123abcd-4567-89ab-cdef-0123456789abc",
                          "0123abcd+4567-89ab-cdef-0123456789ab", "0123abcg-4567-89ab-cdef-0123456789ab",
                          "0123abcd-4567-89ab-cdef0-123456789ab"}) {
    EXPECT_FALSE(Uuid::parse(bad).ok()) << bad;
    EXPECT_FALSE(Uuid::looks_like_uuid(bad)) << bad;
  }
  EXPECT_NE(Uuid::parse("x").error().message.find("invalid uuid"), std::string::npos);
}

TEST(Uuid, OrderingMatchesTextOrder) {
  std::mt19937_64 rng(42);
  std::vector<Uuid> v;
  for (int i = 0; i < 200; ++i) v.push_back(Uuid::generate(rng));
  for (size_t i = 1; i < v.size(); ++i) {
    EXPECT_EQ(v[i - 1] < v[i], v[i - 1].to_string() < v[i].to_string());
  }
}

TEST(Uuid, GenerationIsVersion4AndDeterministicWithSeed) {
  std::mt19937_64 a(7);
  std::mt19937_64 b(7);
  Uuid x = Uuid::generate(a);
  EXPECT_EQ(x, Uuid::generate(b));
  std::string s = x.to_string();
  EXPECT_EQ(s[14], '4');
  EXPECT_TRUE(s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b') << s;
  std::array<uint8_t, 16> ff{};
  ff.fill(0xff);
  EXPECT_EQ(Uuid::from_random_bytes(ff).to_string(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
  auto r1 = random_uuid();
  auto r2 = random_uuid();
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_NE(*r1, *r2);
  EXPECT_FALSE(r1->is_zero());
  EXPECT_TRUE(Uuid{}.is_zero());
}

TEST(Uuid, HashSpreads) {
  std::mt19937_64 rng(1);
  std::unordered_set<size_t> hashes;
  for (int i = 0; i < 1000; ++i) hashes.insert(std::hash<Uuid>{}(Uuid::generate(rng)));
  EXPECT_EQ(hashes.size(), 1000u);
}

TEST(Atom, OrderWithinAndAcrossTypes) {
  EXPECT_LT(Atom::integer(-5), Atom::integer(3));
  EXPECT_LT(Atom::real(-0.5), Atom::real(0.25));
  EXPECT_LT(Atom::boolean(false), Atom::boolean(true));
  EXPECT_LT(Atom::string("B"), Atom::string("a"));  // byte order, like strcmp
  EXPECT_LT(Atom::string("a"), Atom::string("ab"));
  EXPECT_LT(Atom::string("z"), Atom::string("\xc3\xa9"));  // unsigned bytes
  EXPECT_LT(Atom::integer(100), Atom::string("0"));        // by kind across types
  EXPECT_EQ(Atom::real(0.0), Atom::real(-0.0));
  EXPECT_FALSE(Atom::integer(1) == Atom::real(1.0));
}

TEST(Atom, Json) {
  EXPECT_EQ(Atom::integer(-42).to_json(), "-42");
  EXPECT_EQ(Atom::real(1.0).to_json(), "1.0");
  EXPECT_EQ(Atom::real(0.5).to_json(), "0.5");
  EXPECT_EQ(Atom::boolean(true).to_json(), "true");
  EXPECT_EQ(Atom::string("a\"b\\c\n").to_json(), R"("a\"b\\c\n")");
  EXPECT_EQ(Atom::uuid(*Uuid::parse(kU1)).to_json(), std::string("[\"uuid\",\"") + kU1 + "\"]");
  EXPECT_EQ(Atom::named_uuid("row1").to_json(), R"(["named-uuid","row1"])");
  EXPECT_EQ(Atom::string("x").to_string(), "\"x\"");
}

TEST(Datum, SetSortsAndDedupes) {
  Datum d = Datum::set({Atom::string("c"), Atom::string("a"), Atom::string("b"), Atom::string("a")});
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d.keys()[0].as_string(), "a");
  EXPECT_EQ(d.keys()[2].as_string(), "c");
  EXPECT_EQ(d, Datum::string_set({"b", "c", "a"}));
  EXPECT_TRUE(d.contains(Atom::string("b")));
  EXPECT_FALSE(d.contains(Atom::string("d")));
  EXPECT_FALSE(d.is_map());
}

TEST(Datum, MapSortsAndLastValueWins) {
  Datum d = Datum::map({{Atom::string("k2"), Atom::string("v2")},
                        {Atom::string("k1"), Atom::string("old")},
                        {Atom::string("k1"), Atom::string("new")}});
  ASSERT_TRUE(d.is_map());
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d.keys()[0].as_string(), "k1");
  EXPECT_EQ(d.values()[0].as_string(), "new");
  EXPECT_EQ(d.get_string("k2"), "v2");
  EXPECT_EQ(d.get_string("nope"), std::nullopt);
  ASSERT_NE(d.find(Atom::string("k1")), nullptr);
  EXPECT_EQ(d.find(Atom::string("k1"))->as_string(), "new");
  EXPECT_EQ(d.find(Atom::string("zz")), nullptr);
}

TEST(Datum, EqualityAndCompare) {
  EXPECT_EQ(Datum::empty_set(), Datum());
  EXPECT_NE(Datum::empty_set(), Datum::empty_map());
  EXPECT_LT(Datum::integer(5), Datum::set({Atom::integer(1), Atom::integer(2)}));  // size first
  EXPECT_LT(Datum::integer(1), Datum::integer(2));
  EXPECT_EQ(Datum::string_map({{"a", "1"}}), Datum::string_map({{"a", "1"}}));
  EXPECT_NE(Datum::string_map({{"a", "1"}}), Datum::string_map({{"a", "2"}}));
  EXPECT_EQ(Datum::string_map({{"a", "1"}, {"b", "2"}}).hash(), Datum::string_map({{"b", "2"}, {"a", "1"}}).hash());
}

TEST(Datum, JsonForms) {
  EXPECT_EQ(Datum::string("x").to_json(), R"("x")");
  EXPECT_EQ(Datum::empty_set().to_json(), R"(["set",[]])");
  EXPECT_EQ(Datum::empty_map().to_json(), R"(["map",[]])");
  EXPECT_EQ(Datum::string_set({"b", "a"}).to_json(), R"(["set",["a","b"]])");
  EXPECT_EQ(Datum::string_map({{"b", "2"}, {"a", "1"}}).to_json(), R"(["map",[["a","1"],["b","2"]]])");
  EXPECT_EQ(Datum::uuid(*Uuid::parse(kU1)).to_json(), std::string("[\"uuid\",\"") + kU1 + "\"]");
  EXPECT_EQ(Datum::set({Atom::named_uuid("a"), Atom::named_uuid("b")}).to_json(),
            R"(["set",[["named-uuid","a"],["named-uuid","b"]]])");
}

TEST(Datum, UntypedDecodingFollowsShape) {
  auto d = Datum::from_json(R"("abc")");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, Datum::string("abc"));
  d = Datum::from_json("7");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(only(*d).is_integer());
  d = Datum::from_json("7.5");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(only(*d).is_real());
  d = Datum::from_json(R"(["set",[3,1,2]])");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->to_json(), R"(["set",[1,2,3]])");
  d = Datum::from_json(R"(["map",[["b",["uuid","0123abcd-4567-89ab-cdef-0123456789ab"]],["a",true]]])");
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  EXPECT_TRUE(d->is_map());
  EXPECT_EQ(d->keys()[0].as_string(), "a");
  EXPECT_TRUE(d->values()[1].is_uuid());
  d = Datum::from_json(R"(["named-uuid","row"])");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(only(*d).is_named_uuid());
}

TEST(Datum, TypedDecoding) {
  auto real_set = parse_column_type(R"({"key":"real","min":0,"max":"unlimited"})");
  ASSERT_TRUE(real_set.ok());
  auto d = Datum::from_json("3", &*real_set);  // integer accepted for a real
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(only(*d).is_real());
  EXPECT_EQ(d->to_json(), "3.0");

  auto map_type = parse_column_type(R"({"key":"string","value":"integer","min":0,"max":"unlimited"})");
  ASSERT_TRUE(map_type.ok());
  d = Datum::from_json(R"(["map",[]])", &*map_type);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->is_map());
  EXPECT_FALSE(Datum::from_json(R"(["set",[]])", &*map_type).ok());
  EXPECT_FALSE(Datum::from_json(R"(["map",[["a","1"]]])", &*map_type).ok());  // value not integer
  EXPECT_FALSE(Datum::from_json(R"("a")", &*map_type).ok());

  auto str = parse_column_type(R"("string")");
  ASSERT_TRUE(str.ok());
  EXPECT_FALSE(Datum::from_json("1", &*str).ok());
  auto e = Datum::from_json("1", &*str);
  EXPECT_NE(e.error().message.find("expected a string"), std::string::npos) << e.error().message;

  auto int_type = parse_column_type(R"("integer")");
  EXPECT_FALSE(Datum::from_json("1.5", &*int_type).ok());
  EXPECT_FALSE(Datum::from_json("18446744073709551615", &*int_type).ok());

  auto uuid_type = parse_column_type(R"({"key":{"type":"uuid","refTable":"T"},"min":0,"max":1})");
  ASSERT_TRUE(uuid_type.ok());
  EXPECT_EQ(uuid_type->key.ref_table, "T");
  d = Datum::from_json(R"(["set",[]])", &*uuid_type);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->empty());
  EXPECT_FALSE(Datum::from_json(R"("0123abcd-4567-89ab-cdef-0123456789ab")", &*uuid_type).ok());
  EXPECT_FALSE(Datum::from_json(R"(["uuid","not-a-uuid"])", &*uuid_type).ok());
}

TEST(Datum, DuplicatesInJsonAreErrors) {
  auto d = Datum::from_json(R"(["set",[1,2,1]])");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("duplicate"), std::string::npos);
  EXPECT_FALSE(Datum::from_json(R"(["map",[["a",1],["a",2]]])").ok());
  EXPECT_FALSE(Datum::from_json(R"(["set",[1,1]])").ok());
}

TEST(Datum, MalformedJson) {
  for (const char* bad : {"", "[", R"(["set"])", R"(["set",{}])", R"(["map",[["a"]]])", R"(["uuid",1])",
                          R"({"a":1})", "null", R"(["map",[1]])", R"(["frob",[]])"}) {
    EXPECT_FALSE(Datum::from_json(bad).ok()) << bad;
  }
}

TEST(Datum, RandomRoundTrip) {
  std::mt19937_64 rng(1234);
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<std::pair<Atom, Atom>> pairs;
    std::vector<Atom> atoms;
    size_t n = rng() % 6;
    for (size_t i = 0; i < n; ++i) {
      Atom a;
      switch (rng() % 5) {
        case 0: a = Atom::integer(static_cast<int64_t>(rng() % 2001) - 1000); break;
        case 1: a = Atom::real(static_cast<double>(rng() % 1000) / 8.0); break;
        case 2: a = Atom::boolean(rng() % 2 == 0); break;
        case 3: a = Atom::string(std::string(rng() % 4, static_cast<char>('a' + rng() % 3))); break;
        default: a = Atom::uuid(Uuid::generate(rng)); break;
      }
      atoms.push_back(a);
      pairs.emplace_back(a, Atom::string(std::to_string(i)));
    }
    Datum set = Datum::set(atoms);
    Datum map = Datum::map(pairs);
    for (const Datum* d : {&set, &map}) {
      auto back = Datum::from_json(d->to_json());
      ASSERT_TRUE(back.ok()) << d->to_json() << ": " << back.error().to_string();
      if (d->is_map() || d->size() != 0) {
        EXPECT_EQ(*back, *d) << d->to_json();
      }
      for (size_t i = 1; i < d->size(); ++i) EXPECT_LT(d->keys()[i - 1], d->keys()[i]);
    }
  }
}

TEST(Datum, FromSortedSortsWhenNeeded) {
  Datum d = Datum::from_sorted({Atom::integer(2), Atom::integer(1), Atom::integer(2)}, {}, false);
  EXPECT_EQ(d, Datum::set({Atom::integer(1), Atom::integer(2)}));
  Datum m = Datum::from_sorted({Atom::string("a"), Atom::string("b")}, {Atom::integer(1), Atom::integer(2)}, true);
  EXPECT_EQ(m.to_json(), R"(["map",[["a",1],["b",2]]])");
}

}  // namespace
}  // namespace ovnk::ovsdb
