// What `ip -j` says about a namespace, as plain structs: the priv tests check
// the kernel's state through iproute2 as well as through our own dumps, so
// that a bug shared by our builders and our parsers cannot hide itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "tests/netlink/netns_fixture.h"

namespace ovnk::netlink::testing {

struct IpJsonLink {
  int64_t ifindex = 0;
  std::string ifname;
  int64_t mtu = 0;
  std::string address;
  std::string group;
  bool up = false;
  int64_t link_index = 0;
};

struct IpJsonAddr {
  std::string ifname;
  std::string family;  // "inet", "inet6"
  std::string local;
  int64_t prefixlen = 0;
  bool nodad = false;
};

struct IpJsonRoute {
  std::string dst;
  std::string gateway;
  std::string dev;
  std::string protocol;
  int64_t metric = 0;
  int64_t mtu = 0;
};

namespace detail {

inline std::string str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get(v) == simdjson::SUCCESS) return std::string(v);
  int64_t n;
  if (e[key].get(n) == simdjson::SUCCESS) return std::to_string(n);
  return {};
}

inline int64_t num(simdjson::dom::element e, const char* key) {
  int64_t n = 0;
  if (e[key].get(n) != simdjson::SUCCESS) return 0;
  return n;
}

// Parses `ip -j` output; an empty vector if it is not a JSON array.
template <class F>
void for_each_row(const std::string& json, F f) {
  simdjson::dom::parser parser;
  simdjson::padded_string text(json);
  simdjson::dom::element doc;
  if (parser.parse(text).get(doc) != simdjson::SUCCESS) return;
  simdjson::dom::array rows;
  if (doc.get_array().get(rows) != simdjson::SUCCESS) return;
  for (simdjson::dom::element row : rows) f(row);
}

}  // namespace detail

inline std::vector<IpJsonLink> ip_json_links(const std::string& netns, const std::string& filter = "") {
  std::vector<IpJsonLink> out;
  CommandResult r = run_command("ip -n " + netns + " -j link show " + filter);
  detail::for_each_row(r.output, [&](simdjson::dom::element e) {
    IpJsonLink l;
    l.ifindex = detail::num(e, "ifindex");
    l.ifname = detail::str(e, "ifname");
    l.mtu = detail::num(e, "mtu");
    l.address = detail::str(e, "address");
    l.group = detail::str(e, "group");
    l.link_index = detail::num(e, "link_index");
    simdjson::dom::array flags;
    if (e["flags"].get(flags) == simdjson::SUCCESS) {
      for (simdjson::dom::element f : flags) {
        std::string_view s;
        if (f.get(s) == simdjson::SUCCESS && s == "UP") l.up = true;
      }
    }
    out.push_back(std::move(l));
  });
  return out;
}

inline std::vector<IpJsonAddr> ip_json_addrs(const std::string& netns) {
  std::vector<IpJsonAddr> out;
  CommandResult r = run_command("ip -n " + netns + " -j addr show");
  detail::for_each_row(r.output, [&](simdjson::dom::element link) {
    std::string ifname = detail::str(link, "ifname");
    simdjson::dom::array infos;
    if (link["addr_info"].get(infos) != simdjson::SUCCESS) return;
    for (simdjson::dom::element a : infos) {
      IpJsonAddr x;
      x.ifname = ifname;
      x.family = detail::str(a, "family");
      x.local = detail::str(a, "local");
      x.prefixlen = detail::num(a, "prefixlen");
      bool nodad = false;
      x.nodad = a["nodad"].get(nodad) == simdjson::SUCCESS && nodad;
      out.push_back(std::move(x));
    }
  });
  return out;
}

inline std::vector<IpJsonRoute> ip_json_routes(const std::string& netns, bool v6) {
  std::vector<IpJsonRoute> out;
  CommandResult r = run_command("ip -n " + netns + (v6 ? " -6" : " -4") + " -j route show");
  detail::for_each_row(r.output, [&](simdjson::dom::element e) {
    IpJsonRoute x;
    x.dst = detail::str(e, "dst");
    x.gateway = detail::str(e, "gateway");
    x.dev = detail::str(e, "dev");
    x.protocol = detail::str(e, "protocol");
    x.metric = detail::num(e, "metric");
    simdjson::dom::array metrics;
    if (e["metrics"].get(metrics) == simdjson::SUCCESS) {
      for (simdjson::dom::element m : metrics) {
        int64_t mtu;
        if (m["mtu"].get(mtu) == simdjson::SUCCESS) x.mtu = mtu;
      }
    }
    out.push_back(std::move(x));
  });
  return out;
}

}  // namespace ovnk::netlink::testing
