// Typed operations on a NetlinkSocket: the builders of link.h / address.h /
// route.h / genl.h / ethtool.h paired with their parsers, delivering plain
// structs instead of messages.
//
// Each call queues one request (so many calls in one loop iteration leave in
// one sendmsg) and returns its id for NetlinkSocket::cancel; an invalid request
// (a builder's validation error) is returned at once and its callback is never
// called. Otherwise the callback runs exactly once, with the parsed result or
// the kernel's error; `what` prefixes error messages ("create veth h1").
// Dumps collect their rows, forget them if the dump restarts (NLM_F_DUMP_INTR,
// overrun), and deliver the whole table once; a row that does not parse fails
// the dump with that parse error.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "netlink/address.h"
#include "netlink/ethtool.h"
#include "netlink/genl.h"
#include "netlink/link.h"
#include "netlink/route.h"
#include "netlink/socket.h"

namespace ovnk::netlink {

template <class T>
using ResultFn = std::function<void(Result<T>)>;

// A request answered by a bare ACK.
Result<uint32_t> ack_request(NetlinkSocket& s, const Session::BuildFn& build, std::string what,
                             ResultFn<void> done);

Result<uint32_t> get_link(NetlinkSocket& s, const LinkRef& link, ResultFn<LinkInfo> done);
Result<uint32_t> dump_links(NetlinkSocket& s, ResultFn<std::vector<LinkInfo>> done);
Result<uint32_t> dump_addresses(NetlinkSocket& s, uint8_t family, ResultFn<std::vector<AddressInfo>> done);
Result<uint32_t> dump_routes(NetlinkSocket& s, uint8_t family, ResultFn<std::vector<RouteInfo>> done);

// Generic netlink sockets only.
Result<uint32_t> resolve_genl_family(NetlinkSocket& s, std::string name, ResultFn<GenlFamily> done);
Result<uint32_t> ethtool_get_features(NetlinkSocket& s, uint16_t family_id, const LinkRef& dev,
                                      ResultFn<Features> done);
Result<uint32_t> ethtool_set_features(NetlinkSocket& s, uint16_t family_id, const LinkRef& dev,
                                      std::vector<FeatureChange> changes, ResultFn<void> done);
// The same, with the kernel's reply: what did not take effect (see FeaturesSetReply).
Result<uint32_t> ethtool_set_features_checked(NetlinkSocket& s, uint16_t family_id, const LinkRef& dev,
                                              std::vector<FeatureChange> changes, ResultFn<FeaturesSetReply> done);

}  // namespace ovnk::netlink
