// Unit tests of the remote syntax (no sockets).
#include "ovsdb-proto/remote.h"

#include <gtest/gtest.h>

namespace ovnk::ovsdb {
namespace {

TEST(Remote, ParsesUnixTcpAndSsl) {
  auto u = Remote::parse("unix:/run/ovn/ovnnb_db.sock");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->is_unix());
  EXPECT_EQ(u->path(), "/run/ovn/ovnnb_db.sock");

  auto t = Remote::parse("tcp:10.0.0.1:6641");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->kind(), RemoteKind::kTcp);
  EXPECT_EQ(t->host(), "10.0.0.1");
  EXPECT_EQ(t->port(), 6641);
  EXPECT_TRUE(t->host_is_ip());

  auto v6 = Remote::parse("ssl:[fd00::1]:6641");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->is_ssl());
  EXPECT_EQ(v6->host(), "fd00::1");
  EXPECT_TRUE(v6->host_is_ip());
  EXPECT_EQ(v6->text(), "ssl:[fd00::1]:6641");

  auto name = Remote::parse("tcp:ovn-nb.example:6641");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->host(), "ovn-nb.example");
  EXPECT_FALSE(name->host_is_ip());
}

TEST(Remote, RejectsMalformedRemotes) {
  for (const char* bad : {"", "unix:", "tcp:1.2.3.4", "tcp::6641", "tcp:1.2.3.4:0", "tcp:1.2.3.4:99999",
                          "tcp:fd00::1:6641", "tcp:[fd00::1:6641", "udp:1.2.3.4:1", "punix:/x"}) {
    EXPECT_FALSE(Remote::parse(bad).ok()) << bad;
  }
  std::string long_path = "unix:/" + std::string(200, 'x');
  EXPECT_FALSE(Remote::parse(long_path).ok());
}

TEST(Remote, ParsesCommaSeparatedLists) {
  auto list = parse_remotes("tcp:10.0.0.1:6641,tcp:10.0.0.2:6641,unix:/x.sock");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[1].host(), "10.0.0.2");
  EXPECT_TRUE((*list)[2].is_unix());
  EXPECT_FALSE(parse_remotes("tcp:10.0.0.1:6641,").ok());
  EXPECT_FALSE(parse_remotes(",unix:/x").ok());
}

TEST(Remote, ClientTlsNeedsTheThreeFiles) {
  auto tls = make_client_tls(TlsFiles{"/k.pem", "", "/ca.pem"});
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.error().message.find("certificate"), std::string::npos);
}

}  // namespace
}  // namespace ovnk::ovsdb
