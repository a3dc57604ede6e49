#include "netlink/inet.h"

#include <gtest/gtest.h>

namespace ovnk::netlink {
namespace {

TEST(Inet, ParsesAndFormatsAddresses) {
  EXPECT_EQ(IpAddr::parse("10.244.1.5")->to_string(), "10.244.1.5");
  EXPECT_TRUE(IpAddr::parse("10.244.1.5")->is_v4());
  EXPECT_EQ(IpAddr::parse("fd00:0::5")->to_string(), "fd00::5");
  EXPECT_TRUE(IpAddr::parse("::")->is_v6());
  for (const char* bad : {"", "10.1.1", "10.1.1.256", "fd00:::1", "x", "1.2.3.4 "}) {
    Result<IpAddr> r = IpAddr::parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_FALSE(IpAddr().is_set());
  EXPECT_FALSE(IpAddr::from_bytes(std::vector<uint8_t>(5)).ok());
}

TEST(Inet, PrefixesKeepTheAddressAndCanGiveTheNetwork) {
  IpPrefix p = *IpPrefix::parse("10.244.1.5/24");
  EXPECT_EQ(p.to_string(), "10.244.1.5/24");
  EXPECT_EQ(p.network().to_string(), "10.244.1.0/24");
  EXPECT_EQ(IpPrefix::parse("fd00::1:2/112")->network().to_string(), "fd00::1:0/112");
  EXPECT_EQ(IpPrefix::parse("10.1.2.3/21")->network().to_string(), "10.1.0.0/21");
  EXPECT_EQ(IpPrefix::parse("10.1.2.3")->len, 32);
  EXPECT_EQ(IpPrefix::parse("::1")->len, 128);
  EXPECT_EQ(IpPrefix::parse("0.0.0.0/0")->network().to_string(), "0.0.0.0/0");
  for (const char* bad : {"10.1.1.1/33", "fd00::/129", "10.1.1.1/", "10.1.1.1/x", "/24", "10.1.1.1/2 4"}) {
    EXPECT_FALSE(IpPrefix::parse(bad).ok()) << bad;
  }
}

TEST(Inet, MacAddresses) {
  MacAddr m = *MacAddr::parse("0a:58:0A:f4:01:05");
  EXPECT_EQ(m.to_string(), "0a:58:0a:f4:01:05");
  EXPECT_EQ(m.bytes[2], 0x0a);
  for (const char* bad : {"", "0a:58:0a:f4:01", "0a-58-0a-f4-01-05", "0a:58:0a:f4:01:zz", "0a:58:0a:f4:01:055"}) {
    EXPECT_FALSE(MacAddr::parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace ovnk::netlink
